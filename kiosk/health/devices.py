"""Checks of the kiosk's devices: ID card reader, printer, document camera, face camera.

Each takes the device's config section and, inside the running kiosk, the device the
kiosk already holds (so the check never opens a serial port or a camera twice); from
the command line it opens the device itself and closes it again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from kiosk.devices.doccam import (
    DocumentCamera,
    DocumentCameraConfig,
    DocumentCameraError,
    open_document_camera,
)
from kiosk.devices.idcard import (
    CardReader,
    IdCardReaderConfig,
    NoReader,
    ReaderError,
    open_card_reader,
)
from kiosk.devices.idcard.base import DeviceThread
from kiosk.devices.printer import Printer, PrinterError, PrinterState, PrintOptions
from kiosk.health.base import result
from shared.imaging import SharpnessTracker, check_page
from shared.media import VideoSource, VideoSourceError
from shared.protocol.health import CheckResult, CheckStatus

# --- ID card reader -------------------------------------------------------------------


def _pcsc_readers() -> list[str]:
    """Runs on a device thread: the names of every PC/SC reader pcscd knows."""
    from smartcard import scard  # noqa: PLC0415 - pyscard only where PC/SC is used

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        raise NoReader(f"PC/SC service unavailable: {scard.SCardGetErrorMessage(hresult)}")
    try:
        hresult, readers = scard.SCardListReaders(context, [])
        return [str(r) for r in readers] if hresult == scard.SCARD_S_SUCCESS else []
    finally:
        scard.SCardReleaseContext(context)


async def check_idcard(
    config: IdCardReaderConfig,
    reader: CardReader | None = None,
    factory: Callable[[IdCardReaderConfig], CardReader] = open_card_reader,
) -> CheckResult:
    """The reader is there and answers: SAM status and id (sam-serial), reader list (pcsc)."""
    part = "idcard"
    if config.backend == "manual":
        return result(part, CheckStatus.ABSENT, "idcard.manual", "manual")
    listed = ""
    if config.backend == "pcsc":
        thread = DeviceThread("health-pcsc")
        try:
            readers = await thread.run(_pcsc_readers)
        except NoReader as exc:
            return result(part, CheckStatus.FAILED, "idcard.no_service", None, detail=str(exc))
        finally:
            thread.shutdown()
        if not readers:
            return result(part, CheckStatus.FAILED, "idcard.no_reader", "0", detail="PC/SC")
        listed = ", ".join(readers)
    own = reader is None
    try:
        if reader is None:
            reader = factory(config)
            await reader.open()
        status = await reader.status()
    except ReaderError as exc:
        return result(part, CheckStatus.FAILED, "idcard.no_reader", listed or None, detail=str(exc))
    finally:
        if own and reader is not None:
            await reader.close()
    if not status.connected:
        return result(
            part, CheckStatus.FAILED, "idcard.no_reader", status.reader_name, detail=status.detail
        )
    card = "card" if status.card_present else "no card"
    if config.backend == "sam-serial":
        value = f"{status.reader_name}; SAM {status.sam_id or '?'}; {status.sam_state}; {card}"
        if status.sam_state != "ok":
            return result(part, CheckStatus.FAILED, "idcard.sam_bad", value, state=status.sam_state)
        return result(part, CheckStatus.OK, "idcard.sam_ok", value, sam=status.sam_id or "?")
    value = f"{status.reader_name}; {card}" + (f"; readers: {listed}" if listed else "")
    return result(part, CheckStatus.OK, "idcard.ok", value, reader=status.reader_name or "")


# --- printer ----------------------------------------------------------------------------

_PRINTER_KEYS = {
    PrinterState.PAPER_OUT: "printer.paper_out",
    PrinterState.JAM: "printer.jam",
    PrinterState.COVER_OPEN: "printer.cover_open",
    PrinterState.OFFLINE: "printer.offline",
    PrinterState.STOPPED: "printer.stopped",
}


async def check_printer(
    printer: Printer,
    backlog: int | None = None,
    test_page: Callable[[], bytes] | None = None,
    page_timeout: float = 30.0,
) -> CheckResult:
    """The printer's CUPS state and paper; a test page only when `test_page` is given."""
    part = "printer"
    try:
        status = await printer.status()
    except PrinterError as exc:
        return result(part, CheckStatus.FAILED, "printer.unreachable", None, detail=str(exc))
    conditions = ",".join(sorted(c.value for c in status.conditions)) or "-"
    value = f"{status.printer}: {status.state.value} ({conditions})"
    if backlog is not None:
        value += f"; queued {backlog}"
    if status.needs_attention:
        key = _PRINTER_KEYS.get(status.state, "printer.stopped")
        return result(part, CheckStatus.FAILED, key, value, printer=status.printer)
    if not status.accepting:
        return result(part, CheckStatus.FAILED, "printer.rejecting", value, printer=status.printer)
    if test_page is not None:
        return await _print_test_page(printer, test_page(), value, page_timeout)
    if status.state is PrinterState.TONER_LOW:
        return result(part, CheckStatus.WARNING, "printer.toner_low", value)
    return result(part, CheckStatus.OK, "printer.ok", value, state=status.state.value)


async def _print_test_page(printer: Printer, pdf: bytes, value: str, timeout: float) -> CheckResult:
    part = "printer"
    try:
        job = await printer.print_pdf(pdf, PrintOptions(title="health-test-page"))
        async with asyncio.timeout(timeout):
            # CUPS has no push for one job's end without a subscription: poll.
            while not (state := await printer.job_state(job)).finished:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
    except TimeoutError:
        return result(part, CheckStatus.FAILED, "printer.test_page_stuck", value, seconds=timeout)
    except PrinterError as exc:
        return result(part, CheckStatus.FAILED, "printer.unreachable", value, detail=str(exc))
    value += f"; test page {job}: {state.phase.name.lower()}"
    if state.phase.name != "COMPLETED":
        return result(part, CheckStatus.FAILED, "printer.test_page_failed", value)
    return result(part, CheckStatus.OK, "printer.test_page_ok", value)


# --- document camera ------------------------------------------------------------------


def doccam_configured(config: DocumentCameraConfig) -> bool:
    """False for a camera backend that needs a path and has none (nothing to open)."""
    return config.backend in ("simulated", "sane") or bool(config.path)


async def check_doccam(
    config: DocumentCameraConfig,
    camera: DocumentCamera | None = None,
    baseline: float | None = None,
    frames: int = 3,
) -> CheckResult:
    """Resolution and focus score of the test card under the document camera."""
    part = "doccam"
    if camera is None and not doccam_configured(config):
        return result(part, CheckStatus.ABSENT, "doccam.not_configured")
    own = camera is None or not camera.is_open
    cam = camera if camera is not None else open_document_camera(config)
    try:
        if own:
            await cam.open()
        if cam.flat:
            return await _check_flatbed(cam, config)
        shots = [await cam.next_frame(config.capture_timeout) for _ in range(frames)]
    except DocumentCameraError as exc:
        return result(part, CheckStatus.FAILED, "doccam.no_frames", None, detail=str(exc))
    finally:
        if own:
            await cam.close()
    return _judge_doccam(shots, baseline)


async def _check_flatbed(cam: DocumentCamera, config: DocumentCameraConfig) -> CheckResult:
    """A flatbed answers with a scan (opening it made a preview scan): no focus to judge."""
    await cam.wait_newer(0, config.scan_timeout)
    shot = cam.latest()
    if shot is None:
        shot = await cam.capture()
    height, width = shot.shape[:2]
    return result("doccam", CheckStatus.OK, "doccam.flatbed_ok", f"{width}x{height}",
                  device=cam.info().device)  # fmt: skip


def _judge_doccam(shots: list[np.ndarray], baseline: float | None) -> CheckResult:
    part = "doccam"
    height, width = shots[-1].shape[:2]
    tracker = SharpnessTracker(baseline=baseline)
    # The best of a few frames: one frame caught mid-refocus must not fail the camera.
    checks = [check_page(frame, tracker) for frame in shots]
    found = [c for c in checks if c.corners is not None]
    if not found:
        return result(part, CheckStatus.WARNING, "doccam.no_card", f"{width}x{height}")
    best = max(found, key=lambda c: c.sharpness)
    value = f"{width}x{height}; focus {best.sharpness:.1f}"
    if tracker.baseline is not None:
        value += f" / {tracker.baseline:.1f}"
    if best.ok:
        return result(part, CheckStatus.OK, "doccam.ok", value, focus=f"{best.sharpness:.0f}")
    return result(part, CheckStatus.WARNING, f"doccam.{best.reason}", value)


# --- face camera ----------------------------------------------------------------------


async def check_face_camera(
    source: VideoSource, expected_fps: float, seconds: float = 1.0
) -> CheckResult:
    """Frames delivered, their resolution, and the fps measured over `seconds`."""
    part = "face_camera"
    own = not source.running
    try:
        if own:
            await source.start()
        # Wait for a fresh frame (a camera takes a moment to open), then measure.
        before = source.frames_captured()
        if await source.wait_frame(before, 3.0) == before:
            return result(part, CheckStatus.FAILED, "face.no_frames", "0 fps", detail="3 s")
        start_count, start = source.frames_captured(), time.monotonic()
        await asyncio.sleep(seconds)
        count, elapsed = source.frames_captured() - start_count, time.monotonic() - start
        frame = source.latest()
    except (VideoSourceError, OSError, TimeoutError) as exc:
        return result(part, CheckStatus.FAILED, "face.no_frames", None, detail=str(exc))
    finally:
        if own:
            await source.stop()
    return _judge_face(frame, count / elapsed if elapsed > 0 else 0.0, expected_fps)


def _judge_face(frame: Any, fps: float, expected_fps: float) -> CheckResult:
    part = "face_camera"
    if frame is None or fps <= 0:
        return result(part, CheckStatus.FAILED, "face.no_frames", f"{fps:.1f} fps", detail="0")
    height, width = frame.shape[:2]
    value = f"{width}x{height} @ {fps:.1f} fps"
    if fps < expected_fps * 0.5:
        return result(
            part, CheckStatus.WARNING, "face.slow", value, fps=f"{fps:.1f}", want=expected_fps
        )
    return result(part, CheckStatus.OK, "face.ok", value)
