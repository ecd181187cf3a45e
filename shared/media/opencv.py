"""Video file and V4L2 camera sources through OpenCV, on one worker thread per source."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import cv2
import numpy as np

from shared.media.base import VideoSource, VideoSourceError
from shared.media.config import VideoSourceConfig

log = logging.getLogger(__name__)

T = TypeVar("T")

REOPEN_AFTER_FAILURES = 15
"""Consecutive failed camera reads (about 1 s at 15 fps) before the device is reopened."""


class OpenCvVideoSource(VideoSource):
    """Reads a video file (looping at its end) or a V4L2 camera with cv2.VideoCapture.

    OpenCV capture is blocking and not thread-safe, so every call on the capture object
    runs on this source's single worker thread and is awaited from the event loop.
    """

    def __init__(self, config: VideoSourceConfig) -> None:
        super().__init__(config)
        if not config.path:
            raise VideoSourceError(f"a {config.kind} video source needs a path")
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"vw-{config.kind}")
        self._cap: Any = None
        self._failures = 0

    async def _call(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def _open(self) -> None:
        await self._call(self._open_sync)

    async def _grab(self) -> np.ndarray | None:
        return await self._call(self._grab_sync)

    async def _close(self) -> None:
        try:
            await self._call(self._release_sync)
        finally:
            self._executor.shutdown(wait=False)
            # A stopped source may be started again: give it a fresh worker.
            self._executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix=f"vw-{self.config.kind}"
            )

    # --- on the worker thread ---------------------------------------------------

    def _open_sync(self) -> None:
        cfg = self.config
        path = cfg.path or ""
        if cfg.kind == "file":
            if not os.path.isfile(path):
                raise VideoSourceError(f"video file not found: {path}")
            cap = cv2.VideoCapture(path)
        else:
            device: int | str = int(path) if path.isdigit() else path
            cap = cv2.VideoCapture(device, cv2.CAP_V4L2)
            if cap.isOpened():
                # MJPG must be chosen before the size, or many UVC cameras fall back to
                # uncompressed YUYV at a few frames per second.
                cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, cfg.width)
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, cfg.height)
                cap.set(cv2.CAP_PROP_FPS, cfg.fps)
                cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        if not cap.isOpened():
            cap.release()
            raise VideoSourceError(f"cannot open {cfg.kind} video source {path}")
        self._cap = cap
        self._failures = 0

    def _release_sync(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def _grab_sync(self) -> np.ndarray | None:
        if self._cap is None:
            self._open_sync()
        ok, bgr = self._cap.read()
        if not ok and self.config.kind == "file":
            # End of file: reopen rather than seek, which some containers do not support.
            self._release_sync()
            self._open_sync()
            ok, bgr = self._cap.read()
            if not ok:
                raise VideoSourceError(f"video file has no readable frames: {self.config.path}")
        if not ok:
            self._failures += 1
            if self._failures >= REOPEN_AFTER_FAILURES:
                log.warning("camera %s stopped delivering frames; reopening", self.config.path)
                self._release_sync()
            raise VideoSourceError(f"camera {self.config.path} returned no frame")
        self._failures = 0
        return self._to_rgb(bgr)

    def _to_rgb(self, bgr: np.ndarray) -> np.ndarray:
        cfg = self.config
        if bgr.ndim == 2:
            bgr = cv2.cvtColor(bgr, cv2.COLOR_GRAY2BGR)
        if bgr.shape[0] != cfg.height or bgr.shape[1] != cfg.width:
            bgr = cv2.resize(bgr, (cfg.width, cfg.height), interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
