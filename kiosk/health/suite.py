"""The kiosk's whole set of checks, built from its config and whatever devices it already holds.

suite = HealthSuite(config)                       # the CLI: opens each device itself
suite = HealthSuite(config, KioskParts(video=...)) # the kiosk: checks its own devices
report = await suite.run(only={"printer"}, test_page=True)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import KioskConfig
from kiosk.devices.doccam import DocumentCamera
from kiosk.devices.idcard import CardReader
from kiosk.devices.printer import Printer, PrintQueue, open_printer
from kiosk.health.base import PARTS, Check, make_report, run_checks
from kiosk.health.devices import check_doccam, check_face_camera, check_idcard, check_printer
from kiosk.health.network import check_hub, check_turn
from kiosk.health.system import (
    ScreenProvider,
    check_backlog,
    check_disk,
    check_microphone,
    check_screens,
    check_speaker,
    check_version,
    qt_screen_provider,
)
from kiosk.materials.outbox import Outbox
from shared.media import VideoSource, open_video_source
from shared.media.audio import AudioSource
from shared.media.playback import AudioSink
from shared.protocol.health import CheckResult, HealthReport

PRINT_QUEUE_FILE = "print-queue.sqlite3"
OUTBOX_DIR = "outbox"
TEST_PAGE_TIMEOUT = 60.0


@dataclass
class KioskParts:
    """Devices the running kiosk already holds; None: the check opens one from the config."""

    video: VideoSource | None = None
    doccam: Callable[[], DocumentCamera | None] | None = None
    card_reader: Callable[[], CardReader | None] | None = None
    printer: Callable[[], Printer] | None = None
    print_backlog: Callable[[], int] | None = None
    outbox: Outbox | None = None
    mic: AudioSource | None = None
    speaker: AudioSink | None = None
    screens: ScreenProvider | None = None


def test_page_pdf() -> bytes:
    """The technician's printer test page (the same receipt `python -m kiosk.devices` prints)."""
    from kiosk.devices.printer.cli import _test_page  # noqa: PLC0415 - renders on request only

    return _test_page()


class HealthSuite:
    """Builds and runs the checks (see module docstring)."""

    def __init__(self, config: KioskConfig, parts: KioskParts | None = None) -> None:
        self.config = config
        self.parts = parts or KioskParts()

    def checks(self, only: Iterable[str] | None = None, test_page: bool = False) -> list[Check]:
        """The checks of `only` these parts (all of PARTS when None), in PARTS order."""
        wanted = set(PARTS if only is None else only)
        unknown = wanted - set(PARTS)
        if unknown:
            raise ValueError(f"unknown part(s): {', '.join(sorted(unknown))}")
        cfg, health = self.config, self.config.health
        factories: dict[str, Check] = {
            "screens": Check("screens", self._screens),
            "face_camera": Check("face_camera", self._face),
            "doccam": Check("doccam", self._doccam),
            "idcard": Check("idcard", self._idcard),
            "printer": Check(
                "printer",
                lambda: self._printer(test_page),
                timeout=TEST_PAGE_TIMEOUT + health.timeout_s if test_page else None,
            ),
            "audio.mic": Check(
                "audio.mic", lambda: check_microphone(cfg.audio.input, self.parts.mic)
            ),
            "audio.speaker": Check(
                "audio.speaker", lambda: check_speaker(cfg.audio_output, self.parts.speaker)
            ),
            "hub": Check(
                "hub", lambda: check_hub(cfg.hub.url, cfg.ca_file, health, health.timeout_s / 2)
            ),
            "turn": Check("turn", lambda: check_turn(health)),
            "disk": Check("disk", self._disk),
            "outbox": Check("outbox", self._outbox),
            "print_queue": Check("print_queue", self._print_queue),
            "version": Check("version", self._version),
        }
        return [factories[p] for p in PARTS if p in wanted]

    async def results(
        self, only: Iterable[str] | None = None, test_page: bool = False
    ) -> list[CheckResult]:
        """Run the checks; every result, in PARTS order."""
        return await run_checks(self.checks(only, test_page), self.config.health.timeout_s)

    async def run(self, only: Iterable[str] | None = None, test_page: bool = False) -> HealthReport:
        """Run the checks and wrap them in a report for the hub."""
        return make_report(await self.results(only, test_page))

    # --- one method per part that needs more than a line --------------------------------

    async def _screens(self) -> CheckResult:
        provider = self.parts.screens or qt_screen_provider()
        return await check_screens(provider, self.config.screens.face, self.config.screens.touch)

    async def _face(self) -> CheckResult:
        source = self.parts.video or open_video_source(self.config.camera)
        return await check_face_camera(source, self.config.camera.fps)

    async def _doccam(self) -> CheckResult:
        camera = self.parts.doccam() if self.parts.doccam is not None else None
        return await check_doccam(self.config.doccam, camera, self.config.health.doccam_baseline)

    async def _idcard(self) -> CheckResult:
        reader = self.parts.card_reader() if self.parts.card_reader is not None else None
        return await check_idcard(self.config.idcard, reader)

    def _open_printer(self) -> Printer:
        section = self.config.printer
        folder = self.config.resolve(section.folder)
        return open_printer(section.backend, section.name, section.server, folder)

    async def _printer(self, test_page: bool) -> CheckResult:
        page = test_page_pdf if test_page else None
        if self.parts.printer is not None:
            return await check_printer(self.parts.printer(), None, page, TEST_PAGE_TIMEOUT)
        printer = self._open_printer()
        try:
            return await check_printer(printer, None, page, TEST_PAGE_TIMEOUT)
        finally:
            await printer.close()

    async def _disk(self) -> CheckResult:
        health = self.config.health
        return check_disk(self.config.state_dir, health.disk_warn_mb, health.disk_fail_mb)

    async def _outbox(self) -> CheckResult:
        warn = self.config.health.backlog_warn
        if self.parts.outbox is not None:
            return check_backlog("outbox", len(await self.parts.outbox.pending()), warn)
        folder = self.config.state_dir / OUTBOX_DIR
        if not folder.exists():
            return check_backlog("outbox", None, warn)
        outbox = Outbox(folder)
        try:
            await outbox.open()
            return check_backlog("outbox", len(await outbox.pending()), warn)
        finally:
            with contextlib.suppress(Exception):
                await outbox.close()

    async def _print_queue(self) -> CheckResult:
        warn = self.config.health.backlog_warn
        if self.parts.print_backlog is not None:
            return check_backlog("print_queue", self.parts.print_backlog(), warn)
        path: Path = self.config.state_dir / PRINT_QUEUE_FILE
        if not await asyncio.to_thread(path.exists):
            return check_backlog("print_queue", None, warn)
        printer = self._open_printer()
        queue = PrintQueue(path, printer)
        try:
            return check_backlog("print_queue", len(queue.open_keys()), warn)
        finally:
            queue.close()
            await printer.close()

    async def _version(self) -> CheckResult:
        return check_version()
