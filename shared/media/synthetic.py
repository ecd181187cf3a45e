"""A camera stand-in: a moving colour pattern with a clock and a label, cheap to draw."""

from __future__ import annotations

import time
from collections.abc import Callable

import cv2
import numpy as np

from shared.media.base import VideoSource

LabelRenderer = Callable[[str, int], "np.ndarray | None"]
"""Renders `text` at a pixel height into a grey-level mask (H x W uint8), or None if it cannot."""


def _hershey_label(text: str, height: int) -> np.ndarray | None:
    # OpenCV's built-in fonts are ASCII only; non-ASCII text needs a renderer from the UI layer.
    ascii_text = "".join(ch for ch in text if 32 <= ord(ch) < 127).strip()
    if not ascii_text:
        return None
    scale = max(0.3, height / 30.0)
    thickness = max(1, height // 15)
    (w, h), base = cv2.getTextSize(ascii_text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    mask = np.zeros((h + base + 4, w + 4), dtype=np.uint8)
    cv2.putText(
        mask, ascii_text, (2, h + 2), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, thickness, cv2.LINE_AA
    )
    return mask


_label_renderer: LabelRenderer = _hershey_label


def set_label_renderer(renderer: LabelRenderer | None) -> None:
    """Install a process-wide label renderer (e.g. a Qt one that draws Chinese text).

    `None` restores the built-in ASCII-only renderer. Only sources started afterwards use it.
    """
    global _label_renderer  # noqa: PLW0603 - one renderer per process, set by the UI at start-up
    _label_renderer = renderer or _hershey_label


class SyntheticVideoSource(VideoSource):
    """Draws frames in the event loop: a scrolling gradient, a bouncing square, a clock, a label.

    About a millisecond per 640x480 frame, so it needs no worker thread.
    """

    _base: np.ndarray
    _label: np.ndarray | None

    async def _open(self) -> None:
        w, h = self.config.width, self.config.height
        x = np.linspace(0, 255, w, dtype=np.float32)
        y = np.linspace(0, 255, h, dtype=np.float32)
        base = np.empty((h, w, 3), dtype=np.uint8)
        base[..., 0] = x[None, :].astype(np.uint8)
        base[..., 1] = y[:, None].astype(np.uint8)
        base[..., 2] = (255 - (x[None, :] + y[:, None]) / 2).astype(np.uint8)
        self._base = base
        self._label = (
            _label_renderer(self.config.label, max(12, h // 12)) if self.config.label else None
        )

    async def _grab(self) -> np.ndarray:
        w, h = self.config.width, self.config.height
        n = self._slot.seq
        frame = np.roll(self._base, (n * 4) % w, axis=1)
        # A square bouncing across the frame shows motion (and frozen video) at a glance.
        side = max(8, h // 6)
        span_x, span_y = max(1, w - side), max(1, h - side)
        px = abs((n * 7) % (2 * span_x) - span_x)
        py = abs((n * 5) % (2 * span_y) - span_y)
        frame[py : py + side, px : px + side] = (255, 255, 255)
        now = time.time()
        clock = time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now * 1000) % 1000:03d}"
        scale = max(0.3, h / 480.0)
        cv2.putText(
            frame, clock, (8, h - 10), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 2, cv2.LINE_AA
        )
        if self._label is not None:
            self._stamp_label(frame, self._label)
        return frame

    @staticmethod
    def _stamp_label(frame: np.ndarray, mask: np.ndarray) -> None:
        mh = min(mask.shape[0], frame.shape[0] - 8)
        mw = min(mask.shape[1], frame.shape[1] - 8)
        if mh <= 0 or mw <= 0:
            return
        region = frame[8 : 8 + mh, 8 : 8 + mw]
        on = mask[:mh, :mw] > 127
        region[on] = (0, 0, 0)

    async def _close(self) -> None:
        return None
