"""Page capture at the kiosk, without Qt: the officer's `page.capture` or the helper's tap.

`CaptureDesk` opens the document camera (on first use, kept open), checks every
preview frame it can keep up with (page found, not cut off, no glare, sharp;
`shared.imaging`), and captures when auto-capture fires or the helper presses
拍摄: a full-resolution still, the page found and corrected, JPEG-encoded and
made durable in the outbox BEFORE the page is shown as captured. The uploader
then delivers it. The UI reads `state`, `check` (corners in preview
coordinates), `message`, `reason` (why the officer asked again) and `pages`
(this session's pages with 待上传 / 已送达).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from typing import Any, Protocol

import numpy as np

from kiosk.devices.doccam import (
    DocumentCamera,
    DocumentCameraConfig,
    DocumentCameraError,
    open_document_camera,
)
from kiosk.materials.doccam_feed import DocCamFeed
from kiosk.materials.outbox import Outbox, OutboxError, OutboxPage
from kiosk.materials.uploader import Uploader
from shared.hubclient import HubError
from shared.imaging import (
    AutoCapture,
    Corners,
    PageCheck,
    SharpnessTracker,
    check_page,
    correct_page_jpeg,
    find_page,
)
from shared.imaging.geometry import to_grey
from shared.protocol import (
    REJECT_REASONS,
    DeviceCommand,
    DeviceErrorCode,
    DeviceFailed,
    DeviceProgress,
)
from shared.tasks import TaskKeeper

log = logging.getLogger(__name__)

JPEG_QUALITY = 85


class CaptureState(StrEnum):
    """What the capture page shows."""

    IDLE = "idle"
    PREVIEW = "preview"
    SAVING = "saving"
    CAPTURED = "captured"
    FAILED = "failed"


class HubSender(Protocol):
    """The part of the hub client the desk uses (websocket requests and uploads)."""

    async def request(self, message: Any, timeout: float = 10.0) -> Any: ...

    async def post_bytes(
        self, path: str, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> Any: ...


def make_page(still: np.ndarray) -> bytes | None:
    """The corrected page of a still as JPEG, or None when no page is in it."""
    grey = to_grey(still)  # once, for finding, deskewing and flattening alike
    corners = find_page(grey)
    if corners is None:
        return None
    return correct_page_jpeg(still, corners, quality=JPEG_QUALITY, grey=grey)


def make_flat_page(scan: np.ndarray) -> bytes:
    """A flatbed scan as a page JPEG: the whole glass, straightened and evened out.

    A scan is flat already and the lid around the paper is white: there is no page to
    find, only a crooked placement to deskew and the lamp's falloff to flatten.
    """
    return correct_page_jpeg(scan, Corners.full_frame(scan.shape), quality=JPEG_QUALITY)


class CaptureDesk:
    """One capture at a time, and the outbox behind it (see module docstring)."""

    def __init__(
        self,
        config: DocumentCameraConfig,
        hub: HubSender,
        outbox: Outbox,
        notify: Callable[[], None],
        *,
        camera_factory: Callable[[DocumentCameraConfig], DocumentCamera] = open_document_camera,
        auto_capture: bool = True,
    ) -> None:
        self.config = config
        self._hub = hub
        self.outbox = outbox
        self._notify = notify
        self._listeners: list[Callable[[], None]] = []
        self._camera_factory = camera_factory
        self.auto_capture = auto_capture
        self.uploader = Uploader(outbox, hub, self._page_changed)
        self.camera: DocumentCamera | None = None
        self._tasks = TaskKeeper("capture")
        self._loop_task: asyncio.Task[Any] | None = None
        # Page analysis is CPU-bound: its own worker, so the UI loop stays smooth.
        self._imaging = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vw-pages")
        self.tracker = SharpnessTracker()
        self.auto = AutoCapture()
        self.state = CaptureState.IDLE
        self.session_id: str | None = None
        self.command_id: str | None = None
        self.reason: str | None = None
        self.check: PageCheck | None = None
        self.message: tuple[str, str] | None = None
        self.pages: list[OutboxPage] = []
        self.captured = 0
        self._feed: DocCamFeed | None = None

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Also call `listener()` after every change (the touch screen follows the desk)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        self._notify()
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("capture listener failed")

    # --- life cycle ----------------------------------------------------------------

    async def start(self) -> None:
        """Open the outbox (cleaning up after a crash) and start delivering what it holds."""
        await self.outbox.open()
        self._tasks.start(self.uploader.run(), "uploader")

    async def close(self) -> None:
        """Stop capturing and uploading; close the camera and the outbox."""
        self._stop_loop()
        await self._tasks.cancel_all()
        camera, self.camera = self.camera, None
        if camera is not None:
            with contextlib.suppress(Exception):
                await camera.close()
        self._imaging.shutdown(wait=False, cancel_futures=True)
        await self.outbox.close()

    @property
    def pages_delivered(self) -> int:
        """Pages of the current session the hub has stored."""
        return sum(1 for p in self.pages if p.state == "sent")

    # --- commands and buttons ----------------------------------------------------------

    def handle_command(self, session_id: str | None, command: DeviceCommand) -> None:
        """A `page.capture` from the hub (on the hub client's reader: never blocks)."""
        if session_id is None or command.session_id != session_id:
            self._tasks.start(
                self._fail(command.session_id, command.command_id, DeviceErrorCode.BUSY), "refuse"
            )
            return
        reason = command.params.get("reason")
        self.open(session_id, command.command_id, reason if reason in REJECT_REASONS else None)

    def open(self, session_id: str, command_id: str | None, reason: str | None = None) -> None:
        """Show the capture page with a live preview (a new command replaces an open one)."""
        busy = self.state in (CaptureState.PREVIEW, CaptureState.SAVING)
        if busy and self.command_id and self.command_id != command_id:
            self._tasks.start(
                self._fail(session_id, self.command_id, DeviceErrorCode.CANCELLED), "replaced"
            )
        if session_id != self.session_id:
            self.pages = []
        self.session_id, self.command_id, self.reason = session_id, command_id, reason
        self.state = CaptureState.PREVIEW
        self.message = ("kiosk", f"capture.retake.{reason}") if reason else None
        self.check = None
        # A page still lying where the last one was captured is not captured again by
        # itself: the resident first lays the next page (or the helper presses 拍摄).
        self.auto.reset(keep_last=True)
        self._changed()
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = self._tasks.start(self._preview_loop(), "preview")
        if command_id is not None:
            self._tasks.start(self._progress(session_id, command_id), "progress")
        self._tasks.start(self._refresh_pages(), "pages")

    def capture_now(self) -> None:
        """The helper pressed 拍摄."""
        if self.state == CaptureState.PREVIEW:
            self._tasks.start(self._take(), "take")

    def again(self) -> None:
        """再拍一页: back to the preview for another page of the same session."""
        if self.session_id is not None:
            self.open(self.session_id, None)

    def cancel(self) -> None:
        """取消 / 完成: leave the capture page (an open command is reported cancelled)."""
        if self.state in (CaptureState.PREVIEW, CaptureState.FAILED) and self.command_id:
            assert self.session_id is not None
            self._tasks.start(
                self._fail(self.session_id, self.command_id, DeviceErrorCode.CANCELLED), "cancel"
            )
        self._stop_loop()
        self.command_id = None
        self.state = CaptureState.IDLE
        self._changed()

    def session_over(self) -> None:
        """The call ended: close the page; the outbox keeps delivering what it holds."""
        self._stop_loop()
        self.session_id = self.command_id = self.reason = None
        self.state = CaptureState.IDLE
        self.pages = []
        self._changed()

    def _stop_loop(self) -> None:
        task, self._loop_task = self._loop_task, None
        if task is not None and not task.done():
            task.cancel()

    # --- preview and capture ----------------------------------------------------------

    async def _camera(self) -> DocumentCamera:
        if self.camera is None:
            camera = self._camera_factory(self.config)
            await camera.open()
            self.camera = camera
        return self.camera

    async def preview_camera(self) -> DocumentCamera | None:
        """The document camera, opened if need be; None when it cannot be opened."""
        try:
            return await self._camera()
        except DocumentCameraError as exc:
            log.warning("document camera unavailable: %s", exc)
            return None

    def call_feed(self) -> DocCamFeed:
        """The source of the call's document-camera track (one per desk)."""
        if self._feed is None:
            self._feed = DocCamFeed(self.preview_camera)
        return self._feed

    def preview_frame(self) -> np.ndarray | None:
        """The newest preview frame (RGB) for the touch screen, or None."""
        return None if self.camera is None else self.camera.latest()

    @property
    def flatbed(self) -> bool:
        """The document camera is a flatbed scanner (no live picture: 扫描 on request)."""
        return self.camera is not None and self.camera.flat

    async def _preview_loop(self) -> None:
        try:
            camera = await self._camera()
        except DocumentCameraError as exc:
            log.warning("document camera unavailable: %s", exc)
            self.camera = None
            await self._failed("capture.error.no_camera", DeviceErrorCode.NO_CAMERA)
            return
        if camera.flat:
            # Nothing live to check: the helper lays the page face down and presses 扫描.
            if self.state == CaptureState.PREVIEW:
                self.message = ("kiosk", "capture.flatbed")
                self._changed()
            return
        loop = asyncio.get_running_loop()
        # The touch screen shows every preview frame while this page is open.
        camera.watch()
        try:
            await self._check_frames(camera, loop)
        finally:
            camera.unwatch()

    async def _check_frames(self, camera: DocumentCamera, loop: asyncio.AbstractEventLoop) -> None:
        while self.state in (CaptureState.PREVIEW, CaptureState.SAVING):
            try:
                frame = await camera.next_frame(self.config.capture_timeout)
            except DocumentCameraError as exc:
                log.warning("document camera stalled: %s", exc)
                await self._failed("capture.error.stalled", DeviceErrorCode.READ_FAILED)
                return
            if self.state != CaptureState.PREVIEW:
                continue
            check = await loop.run_in_executor(self._imaging, check_page, frame, self.tracker)
            if self.state != CaptureState.PREVIEW:
                continue
            self.check = check
            fire = self.auto_capture and self.auto.update(check, frame.shape)
            # The officer's reason stays on its own banner (`reason`); this line says what
            # is wrong or what happens next.
            if check.reason is not None:
                self.message = ("kiosk", f"capture.problem.{check.reason.value}")
            elif self.auto_capture and not fire and self.auto.holding_last:
                self.message = ("kiosk", "capture.next_page")
            else:
                self.message = (
                    "kiosk",
                    "capture.hold_still" if self.auto_capture else "capture.ready",
                )
            self._changed()
            if fire:
                await self._take()

    async def _take(self) -> None:
        if self.state != CaptureState.PREVIEW or self.session_id is None:
            return
        session_id, command_id = self.session_id, self.command_id
        self.state = CaptureState.SAVING
        self.message = ("kiosk", "capture.saving")
        self._changed()
        try:
            camera = await self._camera()
            still = await camera.capture()
            loop = asyncio.get_running_loop()
            maker = make_flat_page if camera.flat else make_page
            jpeg = await loop.run_in_executor(self._imaging, maker, still)
        except DocumentCameraError as exc:
            log.warning("capture failed: %s", exc)
            failure = "capture.error.scan" if self.flatbed else "capture.error.stalled"
            await self._failed(failure, DeviceErrorCode.READ_FAILED)
            return
        if jpeg is None:
            # The page moved away between the preview and the still: try again.
            self.state = CaptureState.PREVIEW
            self.message = ("kiosk", "capture.problem.no_page")
            self.auto.reset()
            self._changed()
            return
        try:
            page = await self.outbox.add(session_id, command_id, jpeg)
        except OutboxError as exc:
            log.error("the page could not be stored: %s", exc)
            await self._failed("capture.error.storage", DeviceErrorCode.INTERNAL)
            return
        # Durable from here on: only now is the page shown as captured.
        self.captured += 1
        log.info("page captured (outbox %d, %d bytes)", page.id, page.size_bytes)
        if self.session_id == session_id:
            self.pages = [p for p in self.pages if p.id != page.id] + [page]
            self.state = CaptureState.CAPTURED
            self.command_id = None
            self.message = ("kiosk", "capture.captured")
            self._stop_loop_later()
            self._changed()
        self.uploader.wake()

    def _stop_loop_later(self) -> None:
        # Called from inside the loop task itself: let it end by its state check.
        self._loop_task = None

    async def _failed(self, key: str, code: DeviceErrorCode) -> None:
        self.state = CaptureState.FAILED
        self.message = ("kiosk", key)
        self._changed()
        if self.session_id is not None and self.command_id is not None:
            await self._fail(self.session_id, self.command_id, code)
            self.command_id = None

    def _page_changed(self, _page: OutboxPage) -> None:
        self._tasks.start(self._refresh_pages(), "pages")

    async def _refresh_pages(self) -> None:
        if self.session_id is None:
            return
        session_id = self.session_id
        pages = await self.outbox.pages(session_id)
        if self.session_id == session_id:
            self.pages = pages
            self._changed()

    # --- reports -----------------------------------------------------------------------

    async def _progress(self, session_id: str, command_id: str) -> None:
        message = DeviceProgress(session_id=session_id, command_id=command_id,
                                 kind="page.capture", stage="capturing")  # fmt: skip
        with contextlib.suppress(HubError):
            await self._hub.request(message)

    async def _fail(self, session_id: str, command_id: str, code: DeviceErrorCode) -> None:
        message = DeviceFailed(session_id=session_id, command_id=command_id,
                               kind="page.capture", code=code, message=code.value)  # fmt: skip
        try:
            await self._hub.request(message)
        except HubError as exc:
            log.info("could not report the failed capture: %s", type(exc).__name__)
