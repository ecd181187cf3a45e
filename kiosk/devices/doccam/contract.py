"""The document camera (高拍仪) contract: typed info and errors, and the preview-loop base."""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

import numpy as np

from kiosk.devices.doccam.config import DocumentCameraConfig
from shared.media.frame_slot import FrameSlot
from shared.tasks import TaskKeeper

log = logging.getLogger(__name__)

T = TypeVar("T")


class DocumentCameraError(Exception):
    """A document camera failed; the message says why in plain words."""


class CameraNotFoundError(DocumentCameraError):
    """The configured device, video file or image sequence does not exist or cannot be opened."""


class CameraNotOpenError(DocumentCameraError):
    """The camera was used before `open()` or after `close()`."""


class CaptureError(DocumentCameraError):
    """No frame arrived in time for a capture (camera stalled or unplugged)."""


@dataclass(frozen=True)
class CameraInfo:
    """What the camera is and what it delivers."""

    backend: str
    device: str
    preview_size: tuple[int, int]
    still_size: tuple[int, int]
    fourcc: str | None = None
    fps: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return asdict(self)


class DocumentCamera(ABC):
    """A document camera: a live preview and full-resolution stills, RGB uint8 arrays.

    `open()` starts a preview loop that keeps the newest frame for `latest()` (the
    touch-screen preview, the console's second video track, auto-capture);
    `capture()` returns a frame taken after the call, at the highest still resolution.
    Subclasses implement the `_open_sync`/`_read_sync`/`_close_sync` hooks, which run on
    the camera's own single-thread executor (capture libraries are blocking and not
    thread-safe); `_still_sync` defaults to the next preview-sized frame.

    A backend whose frames cost real work (`idle_unwatched = True`: the simulated camera
    renders each one) makes no preview frames while nobody watches: users say so with
    `watch()` / `unwatch()` (the capture page, the call's document-camera track), and a
    waiter in `next_frame()` counts as watching while it waits.
    """

    idle_unwatched = False
    """True: no preview frames while nobody watches (see the class docstring)."""

    flat = False
    """True for a flatbed scanner: no live preview (`latest()` is the last scan, and
    `next_frame()` waits for a scan), and a still is already a flat scan of the glass, to
    be straightened and flattened but not searched for a page."""

    def __init__(self, config: DocumentCameraConfig) -> None:
        self.config = config
        self._executor: ThreadPoolExecutor | None = None
        self._tasks = TaskKeeper(f"doccam-{config.backend}")
        self._slot = FrameSlot()
        self._open = False
        self._last_error: str | None = None
        self._watchers = 0
        self._demand = asyncio.Event()

    @property
    def is_open(self) -> bool:
        """True between a successful `open()` and `close()`."""
        return self._open

    async def open(self) -> None:
        """Open the device and start the preview; raises CameraNotFoundError if it cannot."""
        if self._open:
            return
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"vw-doccam-{self.config.backend}"
        )
        try:
            await self._call(self._open_sync)
        except BaseException:
            self._shutdown_executor()
            raise
        self._open = True
        self._tasks.start(self._preview_loop(), "preview")

    async def close(self) -> None:
        """Stop the preview and release the device; safe to call more than once."""
        if not self._open:
            return
        self._open = False
        await self._tasks.cancel_all()
        try:
            await self._call(self._close_sync)
        except Exception:
            log.exception("closing the %s document camera failed", self.config.backend)
        finally:
            self._shutdown_executor()
            self._slot.wake()

    def latest(self) -> np.ndarray | None:
        """The newest preview frame (RGB), or None before the first one."""
        return self._slot.frame

    @property
    def watchers(self) -> int:
        """Users that want preview frames now (see `watch`)."""
        return self._watchers

    def watch(self) -> None:
        """Someone shows or sends the preview: keep frames coming until `unwatch()`."""
        self._watchers += 1
        self._demand.set()

    def unwatch(self) -> None:
        """The matching end of one `watch()`."""
        self._watchers = max(0, self._watchers - 1)
        if self._watchers == 0:
            self._demand.clear()

    async def wait_newer(self, after: int, timeout: float) -> int:
        """Wait (watching) for a preview frame newer than number `after`, or `timeout`.

        Returns the current frame number (`frame_count`), `after` when none came.
        """
        self.watch()
        try:
            return await self._slot.wait_newer(after, timeout)
        finally:
            self.unwatch()

    @property
    def frame_count(self) -> int:
        """Preview frames delivered since `open()`."""
        return self._slot.seq

    async def next_frame(self, timeout: float = 5.0) -> np.ndarray:
        """Wait for a preview frame newer than the current one; raises CaptureError on timeout."""
        self._require_open()
        start = self._slot.seq
        deadline = asyncio.get_running_loop().time() + timeout
        while self._slot.seq == start:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or not self._open:
                raise CaptureError(self._stall_message(timeout))
            await self.wait_newer(start, remaining)
        frame = self._slot.frame
        assert frame is not None  # a frame was published since `start`
        return frame

    async def capture(self) -> np.ndarray:
        """A still taken after this call, at the highest resolution the camera offers."""
        self._require_open()
        return await self._capture_still()

    async def _capture_still(self) -> np.ndarray:
        return await self.next_frame(self.config.capture_timeout)

    @abstractmethod
    def info(self) -> CameraInfo:
        """The camera's backend, device and resolutions (valid after `open()`)."""

    @abstractmethod
    def _open_sync(self) -> None:
        """Open the backend (on the worker thread); raise CameraNotFoundError if it cannot."""

    @abstractmethod
    def _read_sync(self) -> np.ndarray | None:
        """The next RGB frame (on the worker thread), or None when none is ready."""

    @abstractmethod
    def _close_sync(self) -> None:
        """Release the backend (on the worker thread)."""

    # --- helpers ---------------------------------------------------------------

    async def _call(self, fn: Callable[[], T]) -> T:
        if self._executor is None:
            raise CameraNotOpenError("the document camera is not open")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    def _require_open(self) -> None:
        if not self._open:
            raise CameraNotOpenError("the document camera is not open")

    def _stall_message(self, timeout: float) -> str:
        detail = f": {self._last_error}" if self._last_error else ""
        return (
            f"no frame from the {self.config.backend} document camera within {timeout:g} s{detail}"
        )

    def _shutdown_executor(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    async def _preview_loop(self) -> None:
        loop = asyncio.get_running_loop()
        period = 1.0 / self.config.fps
        next_at = loop.time()
        failures = 0
        while True:
            if self.idle_unwatched and self._watchers == 0:
                # Nobody shows or sends the preview: make no frames until someone does.
                await self._demand.wait()
                next_at = loop.time()
            try:
                frame = await self._call(self._read_sync)
            except DocumentCameraError as exc:
                failures += 1
                self._last_error = str(exc)
                # First failure and then rarely, so a dead camera does not flood the log.
                if failures == 1 or failures % 100 == 0:
                    log.warning("document camera %s: %s", self.config.backend, exc)
                frame = None
            else:
                failures = 0
            if frame is not None:
                self._last_error = None
                self._slot.publish(frame)
            next_at += period
            delay = next_at - loop.time()
            if delay < -period:
                next_at = loop.time()  # fell behind: skip ahead instead of bursting
                delay = 0.0
            await asyncio.sleep(max(0.0, delay))
