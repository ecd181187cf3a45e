"""The face-camera contract and the latest-frame track that feeds peer connections."""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from fractions import Fraction

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from shared.media.config import VideoSourceConfig
from shared.media.frame_slot import FrameSlot
from shared.tasks import TaskKeeper

log = logging.getLogger(__name__)

VIDEO_CLOCK_RATE = 90_000
VIDEO_TIME_BASE = Fraction(1, VIDEO_CLOCK_RATE)


class VideoSourceError(Exception):
    """A video source could not be opened or read; the message says why in plain words."""


class VideoSource(ABC):
    """A camera-like source of RGB frames (numpy uint8, H x W x 3) paced at `config.fps`.

    A source outlives peer connections: every call to `create_track()` gives a fresh
    track that always sends the newest frame, so a rebuilt peer connection picks up the
    same camera and a slow sender never builds a backlog. Backends implement `_open`,
    `_grab` and `_close`; the capture loop, pacing and frame hand-off live here.
    """

    def __init__(self, config: VideoSourceConfig) -> None:
        self.config = config
        self._slot = FrameSlot()
        self._tasks = TaskKeeper(f"video-{config.kind}")
        self._running = False

    @property
    def running(self) -> bool:
        """True between a successful `start()` and `stop()`."""
        return self._running

    async def start(self) -> None:
        """Open the device or file and start capturing; raises VideoSourceError on failure."""
        if self._running:
            return
        await self._open()
        self._running = True
        self._tasks.start(self._capture_loop(), "capture")

    async def stop(self) -> None:
        """Stop capturing and release the device; safe to call more than once."""
        if not self._running:
            return
        self._running = False
        await self._tasks.cancel_all()
        try:
            await self._close()
        except Exception:
            log.exception("closing the %s video source failed", self.config.kind)
        self._slot.wake()

    def latest(self) -> np.ndarray | None:
        """The newest frame, for the local preview; None before the first frame."""
        return self._slot.frame

    def frames_captured(self) -> int:
        """How many frames this source has produced since it was created."""
        return self._slot.seq

    def create_track(self) -> MediaStreamTrack:
        """A fresh latest-frame video track for a new peer connection."""
        return LatestFrameTrack(self)

    async def wait_frame(self, after: int, timeout: float) -> int:
        """Wait until a frame newer than sequence number `after` exists (or `timeout`).

        Returns the current sequence number, which equals `after` on timeout.
        """
        return await self._slot.wait_newer(after, timeout)

    @abstractmethod
    async def _open(self) -> None:
        """Open the backend; raise VideoSourceError with a clear message if it cannot."""

    @abstractmethod
    async def _grab(self) -> np.ndarray | None:
        """Produce the next RGB frame of the configured size, or None to skip this tick."""

    @abstractmethod
    async def _close(self) -> None:
        """Release the backend."""

    async def _capture_loop(self) -> None:
        loop = asyncio.get_running_loop()
        period = 1.0 / self.config.fps
        next_at = loop.time()
        failures = 0
        while True:
            try:
                frame = await self._grab()
            except Exception as exc:
                failures += 1
                # Log the first failure and then rarely, so a dead camera does not flood the log.
                if failures == 1 or failures % 100 == 0:
                    if isinstance(exc, VideoSourceError):
                        log.warning("video source %s: %s", self.config.kind, exc)
                    else:
                        log.exception("video source %s failed", self.config.kind)
                frame = None
            else:
                failures = 0
            if frame is not None:
                self._slot.publish(frame)
            next_at += period
            delay = next_at - loop.time()
            if delay < -period:
                # Fell behind (slow device or busy loop): skip ahead instead of bursting.
                next_at = loop.time()
                delay = 0.0
            await asyncio.sleep(max(0.0, delay))


class LatestFrameTrack(MediaStreamTrack):
    """A video track that always sends the source's newest frame, never a queue of old ones.

    When the source stalls (stopped, camera unplugged) the last frame is repeated at a low
    rate so the far side still sees live media and does not mistake a frozen camera for a
    broken connection.
    """

    kind = "video"

    def __init__(self, source: VideoSource, stall_repeat: float = 0.5) -> None:
        super().__init__()
        self._source = source
        self._sent_seq = -1
        self._stall_repeat = stall_repeat
        self._t0 = time.monotonic()
        self._last_pts = -1
        self._black: np.ndarray | None = None

    async def recv(self) -> av.VideoFrame:
        """Wait for a frame newer than the last one sent and return it as an av.VideoFrame."""
        if self.readyState != "live":
            raise MediaStreamError
        seq = await self._source.wait_frame(self._sent_seq, self._stall_repeat)
        if self.readyState != "live":
            raise MediaStreamError
        self._sent_seq = seq
        array = self._source.latest()
        if array is None:
            array = self._black_frame()
        frame = av.VideoFrame.from_ndarray(array, format="rgb24")
        pts = int((time.monotonic() - self._t0) * VIDEO_CLOCK_RATE)
        pts = max(pts, self._last_pts + 1)
        self._last_pts = pts
        frame.pts = pts
        frame.time_base = VIDEO_TIME_BASE
        return frame

    def _black_frame(self) -> np.ndarray:
        if self._black is None:
            cfg = self._source.config
            self._black = np.zeros((cfg.height, cfg.width, 3), dtype=np.uint8)
        return self._black
