"""The console process on the qasync loop: camera, controller, windows, autopilot, shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from backoffice_console.app import ConsoleController
from backoffice_console.call_ports import default_hub_factory, rtc_peer_factory
from backoffice_console.config import ConsoleConfig
from backoffice_console.ui.autopilot import Autopilot, AutopilotOptions
from backoffice_console.ui.presenter import ConsolePresenter
from shared.media import CallAudio, VideoSource, VideoSourceError, open_video_source
from shared.ui.runtime import notify_ready, quit_reason, run_app, wait_quit_requested

log = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT_S = 8.0
DESKTOP_FILE_NAME = "vw-console"


@dataclass
class RunOptions:
    """The command line, parsed."""

    config: ConsoleConfig
    username: str | None = None
    password: str | None = None
    autopilot: bool = False
    report: Path | None = None
    screenshots: Path | None = None
    timeout: float = 120.0
    max_calls: int = 1
    hangup_after: float | None = None


async def _open_camera(options: RunOptions) -> VideoSource | None:
    try:
        camera = open_video_source(options.config.camera)
        await camera.start()
    except (VideoSourceError, OSError) as exc:
        # Without a camera the officer can still see and serve the resident.
        log.error("officer camera unavailable: %s", exc)
        return None
    return camera


async def console_main(app: QApplication, options: RunOptions) -> int:
    """Run the console until a quit is requested or the autopilot is done; the exit code."""
    del app
    config = options.config
    camera = await _open_camera(options)
    # Opened once: the microphone and loudspeaker outlive reconnects and successive calls.
    audio = await CallAudio.open(config.audio.input, config.audio_output)
    controller = ConsoleController(
        default_hub_factory(config.hub.url, config.ca_file),
        rtc_peer_factory(camera, audio=audio.source, on_audio_frame=audio.on_frame),
    )
    presenter = ConsolePresenter(
        controller, camera.latest if camera is not None else None, config.ui.overdue_after_s
    )
    # The Wayland app id and the desktop entry's name (installer/console/vw-console.desktop).
    QGuiApplication.setDesktopFileName(DESKTOP_FILE_NAME)
    presenter.show()
    notify_ready("console window shown")

    pilot: Autopilot | None = None
    work: asyncio.Task[int] | None = None
    if options.autopilot:
        if not options.username or options.password is None:
            log.error("--autopilot needs --username and --password-file")
            await _shutdown(controller, presenter, camera, audio)
            return 2
        pilot = Autopilot(
            presenter,
            AutopilotOptions(
                username=options.username,
                password=options.password,
                screenshots=options.screenshots,
                timeout=options.timeout,
                max_calls=options.max_calls,
                hangup_after=options.hangup_after,
            ),
        )
        work = asyncio.ensure_future(pilot.run())
    elif options.username and options.password is not None:
        # Credentials on the command line: fill the form and sign in, as the officer would.
        presenter.login.username.setText(options.username)
        presenter.login.password.setText(options.password)
        presenter.login.button.click()

    quit_waiter = asyncio.ensure_future(wait_quit_requested())
    waiting: set[asyncio.Future[Any]] = {quit_waiter} | ({work} if work is not None else set())
    done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    code = 0
    if work is not None and work in done:
        code = work.result()
    elif work is not None:
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await work
        if pilot is not None and pilot.error is None:
            pilot.error = f"stopped before the tour finished ({quit_reason() or 'quit'})"
    quit_waiter.cancel()
    log.info("console stopping")

    frames_painted = presenter.main.call.remote.frames_painted
    await _shutdown(controller, presenter, camera, audio)
    if options.report is not None:
        report = pilot.report(frames_painted) if pilot is not None else controller.stats.report()
        _write_report(options.report, report)
    return code


def run_console(options: RunOptions) -> int:
    """Run the console's Qt app on a qasync loop until it quits; the exit code."""

    async def main(app: QApplication) -> int:
        return await console_main(app, options)

    return run_app(sys.argv[:1], main, "vw-console", theme="desktop")


async def _shutdown(
    controller: ConsoleController,
    presenter: ConsolePresenter,
    camera: VideoSource | None,
    audio: CallAudio | None = None,
) -> None:
    try:
        await asyncio.wait_for(controller.close(), SHUTDOWN_TIMEOUT_S)
    except TimeoutError:
        log.error("closing the controller timed out")
    if audio is not None:
        await audio.stop()  # after the call is closed: no frame arrives at a closed sink
    await presenter.close()
    if camera is not None:
        try:
            await asyncio.wait_for(camera.stop(), SHUTDOWN_TIMEOUT_S)
        except TimeoutError:
            log.error("stopping the camera timed out")


def _write_report(path: Path, report: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        tmp.replace(path)
        log.info("report written to %s", path)
    except OSError as exc:
        log.error("could not write the report %s: %s", path, exc)
