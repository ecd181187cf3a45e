"""Document cameras read through OpenCV: a V4L2 device, a video file, an image sequence."""

from __future__ import annotations

import logging
import os
from typing import Any

import cv2
import numpy as np

from kiosk.devices.doccam.config import DocumentCameraConfig
from kiosk.devices.doccam.contract import (
    CameraInfo,
    CameraNotFoundError,
    DocumentCamera,
    DocumentCameraError,
)

log = logging.getLogger(__name__)

REOPEN_AFTER_FAILURES = 15
"""Consecutive failed reads of a camera before the device is reopened."""

PROBE_SIZE = (10_000, 10_000)
"""Asked for when the highest resolution is wanted: V4L2 answers with the nearest it offers."""

COMMON_SIZES = ((4208, 3120), (4000, 3000), (3264, 2448), (2592, 1944), (1920, 1080), (1280, 720))
"""Tried, largest first, when a driver rejects the probe size instead of adjusting it."""


class OpenCvDocumentCamera(DocumentCamera):
    """`backend` v4l2, file or images, all through cv2.VideoCapture on one worker thread.

    Files and image sequences loop at their end, so a test or a demo can run as long as
    it likes. A V4L2 camera streams at its highest resolution (MJPG), so a capture is a
    fresh full-resolution frame with no mode switch.
    """

    def __init__(self, config: DocumentCameraConfig) -> None:
        super().__init__(config)
        if config.backend not in {"v4l2", "file", "images"}:
            raise DocumentCameraError(f"not an OpenCV backend: {config.backend}")
        if not config.path:
            raise CameraNotFoundError(f"the {config.backend} document camera needs a path")
        self._path = config.path
        self._cap: Any = None
        self._failures = 0
        self._size = (0, 0)
        self._fourcc: str | None = None
        self._first: np.ndarray | None = None

    def info(self) -> CameraInfo:
        """Backend, device and the resolution actually delivered."""
        return CameraInfo(
            backend=self.config.backend,
            device=self._path,
            preview_size=self._size,
            still_size=self._size,
            fourcc=self._fourcc,
            fps=float(self.config.fps),
        )

    # --- on the worker thread ---------------------------------------------------

    def _open_sync(self) -> None:
        backend = self.config.backend
        if backend == "file":
            if not os.path.isfile(self._path):
                raise CameraNotFoundError(f"video file not found: {self._path}")
            cap = cv2.VideoCapture(self._path)
        elif backend == "images":
            self._check_sequence()
            cap = cv2.VideoCapture(self._path, cv2.CAP_IMAGES)
        else:
            cap = self._open_v4l2()
        if not cap.isOpened():
            cap.release()
            raise CameraNotFoundError(f"cannot open {backend} document camera {self._path}")
        ok, bgr = cap.read()
        if not ok or bgr is None:
            cap.release()
            raise CameraNotFoundError(f"{backend} document camera {self._path} gives no frames")
        self._cap = cap
        self._failures = 0
        self._size = (int(bgr.shape[1]), int(bgr.shape[0]))
        self._first = _to_rgb(bgr)

    def _check_sequence(self) -> None:
        if "%" not in self._path:
            raise CameraNotFoundError(
                f"an image sequence needs a printf pattern such as frame_%03d.jpg: {self._path}"
            )
        try:
            candidates = [self._path % i for i in range(3)]
        except (TypeError, ValueError) as exc:
            raise CameraNotFoundError(f"bad image sequence pattern {self._path}: {exc}") from None
        if not any(os.path.isfile(p) for p in candidates):
            raise CameraNotFoundError(f"image sequence not found: {candidates[0]} does not exist")

    def _open_v4l2(self) -> Any:
        device: int | str = int(self._path) if self._path.isdigit() else self._path
        if isinstance(device, str) and not os.path.exists(device):
            raise CameraNotFoundError(f"no video device at {device}")
        cap = cv2.VideoCapture(device, cv2.CAP_V4L2)
        if not cap.isOpened():
            return cap
        # MJPG before the size: high resolutions usually exist only as MJPG, and asking for
        # the size first makes many UVC cameras fall back to slow uncompressed YUYV.
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
        wanted = (
            [(self.config.width, self.config.height)]
            if self.config.width and self.config.height
            else [PROBE_SIZE, *COMMON_SIZES]
        )
        best = (0, 0)
        for w, h in wanted:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, w)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, h)
            got = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
            # Drivers adjust a size they lack to the nearest they offer; keep the largest seen.
            if got[0] * got[1] > best[0] * best[1]:
                best = got
        if best != (0, 0):
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, best[0])
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, best[1])
        cap.set(cv2.CAP_PROP_FPS, self.config.fps)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        code = int(cap.get(cv2.CAP_PROP_FOURCC))
        self._fourcc = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4)) if code else None
        log.info("document camera %s: %sx%s %s", self._path, *best, self._fourcc)
        return cap

    def _read_sync(self) -> np.ndarray | None:
        first, self._first = self._first, None
        if first is not None:
            return first
        if self._cap is None:
            self._open_sync()
        ok, bgr = self._cap.read()
        if not ok and self.config.backend in {"file", "images"}:
            # End of the file: reopen rather than seek, which some containers do not support.
            self._close_sync()
            self._open_sync()
            first, self._first = self._first, None
            return first
        if not ok:
            self._failures += 1
            if self._failures >= REOPEN_AFTER_FAILURES:
                log.warning("document camera %s stopped delivering; reopening", self._path)
                self._close_sync()
            raise DocumentCameraError(f"camera {self._path} returned no frame")
        self._failures = 0
        return _to_rgb(bgr)

    def _close_sync(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def _to_rgb(bgr: np.ndarray) -> np.ndarray:
    if bgr.ndim == 2:
        return cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
