"""A simulated document camera for the demo: pages slide under the camera and settle.

It renders real frames with `shared.imaging.synthetic` (a page warped onto a desk with
lighting falloff, shadow and noise), so the page pipeline, the checks and auto-capture
run on it for real. The cycle per page: slide in, settle with a small wobble, lie still,
slide out; then the next page.
"""

from __future__ import annotations

import math
import time

import numpy as np

from kiosk.devices.doccam.config import DocumentCameraConfig
from kiosk.devices.doccam.contract import CameraInfo, DocumentCamera
from shared.imaging.synthetic import Lighting, photograph, random_corners, render_document

ENTER_S = 1.2
SETTLE_S = 0.6
HOLD_S = 6.0
EXIT_S = 0.8
CYCLE_S = ENTER_S + SETTLE_S + HOLD_S + EXIT_S

DEFAULT_PREVIEW = (1280, 720)


def page_offset(t: float) -> tuple[float, float]:
    """Where the page is relative to its resting place at time `t` into its cycle, as a share
    of the frame (0, 0 while it lies still)."""
    if t < ENTER_S:
        k = 1.0 - t / ENTER_S
        ease = k * k * (3 - 2 * k)  # smoothstep: fast in the middle, gentle at the ends
        return 0.55 * ease, 0.9 * ease
    t -= ENTER_S
    if t < SETTLE_S:
        wobble = 0.012 * math.exp(-5 * t / SETTLE_S) * math.sin(2 * math.pi * 2.5 * t / SETTLE_S)
        return wobble, -0.5 * wobble
    t -= SETTLE_S
    if t < HOLD_S:
        return 0.0, 0.0
    t -= HOLD_S
    k = min(1.0, t / EXIT_S)
    return -0.7 * k * k, 0.2 * k * k


class SimulatedDocumentCamera(DocumentCamera):
    """Renders synthetic photographed pages at `width` x `height` (preview) and at
    `still_width` x `still_height` for captures; `seed` picks the documents.

    Rendering a frame costs tens of milliseconds, so it renders only while watched.
    """

    idle_unwatched = True

    def __init__(self, config: DocumentCameraConfig, clock: float | None = None) -> None:
        super().__init__(config)
        self._preview = (config.width or DEFAULT_PREVIEW[0], config.height or DEFAULT_PREVIEW[1])
        self._still = (config.still_width, config.still_height)
        self._t0 = clock
        self._frame_no = 0
        self._pages: dict[int, np.ndarray] = {}
        self._lighting = Lighting(falloff=0.2, shadow=0.25, blur_sigma=0.5, noise_sigma=2.5)

    def info(self) -> CameraInfo:
        """A simulated camera with its preview and still sizes."""
        return CameraInfo(
            backend="simulated",
            device=f"simulated:{self.config.seed}",
            preview_size=self._preview,
            still_size=self._still,
            fourcc=None,
            fps=float(self.config.fps),
        )

    def scene(self, now: float | None = None) -> tuple[int, np.ndarray]:
        """The page number and its corners (as a share of the frame, 4 x 2) at time `now`."""
        elapsed = (time.monotonic() if now is None else now) - (self._t0 or 0.0)
        index = int(elapsed // CYCLE_S)
        rng = np.random.default_rng(self.config.seed * 1000 + index)
        scale = np.array(self._preview, dtype=np.float32)
        rest = random_corners(self._preview, rng, fill=0.85, tilt=6.0) / scale
        dx, dy = page_offset(elapsed - index * CYCLE_S)
        return index, rest + np.array([dx, dy], dtype=np.float32)

    async def _capture_still(self) -> np.ndarray:
        return await self._call(lambda: self._render(self._still))

    def _open_sync(self) -> None:
        if self._t0 is None:
            self._t0 = time.monotonic()

    def _read_sync(self) -> np.ndarray | None:
        return self._render(self._preview)

    def _close_sync(self) -> None:
        self._pages.clear()

    def _render(self, size: tuple[int, int]) -> np.ndarray:
        index, share = self.scene()
        page = self._pages.get(index)
        if page is None:
            self._pages = {index: render_document(1240, seed=self.config.seed * 1000 + index)}
            page = self._pages[index]
        corners = share * np.array(size, dtype=np.float32)
        self._frame_no += 1
        return photograph(
            page,
            corners,
            size,
            seed=self.config.seed * 1000 + index,
            lighting=self._lighting,
            noise_seed=self._frame_no,
        )
