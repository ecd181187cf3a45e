"""The newest-only consumer end of a remote video track."""

from __future__ import annotations

import asyncio
import time

import av
import numpy as np


class FrameSink:
    """Keeps only the newest decoded remote frame and converts it to RGB when asked.

    Conversion happens lazily in `latest()` (once per frame, cached), so frames the UI
    never paints cost nothing. The same sink serves a call across reconnects.
    """

    def __init__(self) -> None:
        self._frame: av.VideoFrame | None = None
        self._array: np.ndarray | None = None
        self._event = asyncio.Event()
        self.frames_received = 0
        self.first_frame_at: float | None = None
        """Wall-clock time (time.time()) of the first frame ever received."""
        self.last_frame_at: float | None = None
        """Monotonic time (time.monotonic()) of the newest frame."""
        self.last_frame_wall_at: float | None = None
        """Wall-clock time (time.time()) of the newest frame, for reports across processes."""

    def push(self, frame: av.VideoFrame) -> None:
        """Store a newly decoded frame, dropping the previous one."""
        self._frame = frame
        self._array = None
        self.frames_received += 1
        if self.first_frame_at is None:
            self.first_frame_at = time.time()
        self.last_frame_at = time.monotonic()
        self.last_frame_wall_at = time.time()
        event, self._event = self._event, asyncio.Event()
        event.set()

    def latest(self) -> np.ndarray | None:
        """The newest frame as RGB uint8 (H x W x 3), or None before the first frame."""
        if self._frame is None:
            return None
        if self._array is None:
            self._array = self._frame.to_ndarray(format="rgb24")
        return self._array

    def latest_frame(self) -> av.VideoFrame | None:
        """The newest frame as decoded, without conversion."""
        return self._frame

    @property
    def size(self) -> tuple[int, int] | None:
        """(width, height) of the newest frame."""
        if self._frame is None:
            return None
        return (self._frame.width, self._frame.height)

    async def wait_frames(self, count: int, timeout: float) -> bool:
        """Wait until `frames_received >= count`; False if `timeout` seconds pass first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.frames_received < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except TimeoutError:
                return self.frames_received >= count
        return True
