"""The document camera's preview as the call's second video track.

The kiosk's offer carries two video tracks: the face camera first, then this one.
`DocCamFeed.create_track()` gives each new peer connection (a reconnect is a new one)
a fresh `DocCamTrack`, which opens the document camera on its first frame (the desk
keeps it open afterwards), watches it while it lives (so a camera that idles when
unwatched keeps rendering only while a call sends the track), and sends the newest
preview frame at a modest size and rate: long side `max_side`, `fps` frames a second,
never a queue of old frames. Without a camera it sends a dark frame once a second, so
the track stays valid and the officer sees "no document camera" rather than a hang.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import av
import cv2
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from kiosk.devices.doccam import DocumentCamera
from shared.media.base import VIDEO_CLOCK_RATE, VIDEO_TIME_BASE

log = logging.getLogger(__name__)

PREVIEW_MAX_SIDE = 960
"""Longest side of the frames sent: enough to guide a page into place, cheap to encode."""

PREVIEW_FPS = 5.0

NO_CAMERA_PERIOD = 1.0
"""Seconds between the dark frames sent when the camera cannot be opened."""

CameraOpener = Callable[[], Awaitable[DocumentCamera | None]]


def preview_size(width: int, height: int, max_side: int = PREVIEW_MAX_SIDE) -> tuple[int, int]:
    """(width, height) scaled so the longer side is at most `max_side`, both even (YUV 4:2:0)."""
    scale = min(1.0, max_side / max(width, height, 1))
    return max(2, round(width * scale) // 2 * 2), max(2, round(height * scale) // 2 * 2)


class DocCamFeed:
    """Makes the document-camera tracks of calls; counts what they sent."""

    def __init__(
        self,
        open_camera: CameraOpener,
        *,
        max_side: int = PREVIEW_MAX_SIDE,
        fps: float = PREVIEW_FPS,
    ) -> None:
        if max_side < 16 or fps <= 0:
            raise ValueError("the preview needs max_side >= 16 and fps > 0")
        self._open_camera = open_camera
        self.max_side = max_side
        self.fps = fps
        self.frames_sent = 0
        self.tracks_made = 0
        self._open_lock = asyncio.Lock()

    def create_track(self) -> DocCamTrack:
        """A fresh track for a new peer connection."""
        self.tracks_made += 1
        return DocCamTrack(self)

    async def camera(self) -> DocumentCamera | None:
        """The open camera, or None (one opening at a time, shared by all tracks)."""
        async with self._open_lock:
            return await self._open_camera()


class DocCamTrack(MediaStreamTrack):
    """One peer connection's document-camera track (see the module docstring)."""

    kind = "video"

    def __init__(self, feed: DocCamFeed) -> None:
        super().__init__()
        self._feed = feed
        self._camera: DocumentCamera | None = None
        self._watching = False
        self._started = False
        self._seq = 0
        self._scaled_seq = -1
        self._scaled: np.ndarray | None = None
        self._dark: np.ndarray | None = None
        self._t0 = time.monotonic()
        self._last_pts = -1
        self._next_at: float | None = None

    async def recv(self) -> av.VideoFrame:
        """The newest preview frame, scaled down, paced at the feed's rate."""
        if self.readyState != "live":
            raise MediaStreamError
        if not self._started:
            self._started = True
            await self._start()
        camera = self._camera
        period = 1.0 / self._feed.fps if camera is not None else NO_CAMERA_PERIOD
        await self._pace(period)
        array: np.ndarray | None = None
        if camera is not None and camera.is_open:
            self._seq = await camera.wait_newer(self._seq, period)
            array = self._scaled_latest(camera)
        if self.readyState != "live":
            raise MediaStreamError
        if array is None:
            array = self._dark_frame()
        frame = av.VideoFrame.from_ndarray(array, format="rgb24")
        pts = max(int((time.monotonic() - self._t0) * VIDEO_CLOCK_RATE), self._last_pts + 1)
        self._last_pts = pts
        frame.pts = pts
        frame.time_base = VIDEO_TIME_BASE
        self._feed.frames_sent += 1
        return frame

    def stop(self) -> None:
        """End the track and stop watching the camera."""
        if self._watching and self._camera is not None:
            self._watching = False
            self._camera.unwatch()
        super().stop()

    async def _start(self) -> None:
        try:
            camera = await self._feed.camera()
        except Exception:
            log.exception("the document camera could not be opened for the call")
            camera = None
        if camera is None or self.readyState != "live":
            return
        self._camera = camera
        camera.watch()
        self._watching = True

    async def _pace(self, period: float) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self._next_at is None:
            self._next_at = now
        delay = self._next_at - now
        if delay > 0:
            await asyncio.sleep(delay)
        # Fell behind (a slow encoder): start again from now instead of bursting.
        self._next_at = max(self._next_at + period, loop.time() - period)

    def _scaled_latest(self, camera: DocumentCamera) -> np.ndarray | None:
        if self._scaled_seq == self._seq and self._scaled is not None:
            return self._scaled
        frame = camera.latest()
        if frame is None:
            return None
        h, w = frame.shape[:2]
        size = preview_size(w, h, self._feed.max_side)
        if size != (w, h):
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        self._scaled, self._scaled_seq = frame, self._seq
        return frame

    def _dark_frame(self) -> np.ndarray:
        if self._dark is None:
            w, h = preview_size(16 * 120, 9 * 120, self._feed.max_side)
            self._dark = np.full((h, w, 3), 24, dtype=np.uint8)
        return self._dark
