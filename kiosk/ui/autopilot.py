"""Drives the real kiosk UI for the demo tour and the end-to-end tests.

It clicks the real buttons (`button.click()`), never the controller behind
the UI's back: 开始办理 once the hub welcomed, hold the call once it is
connected and the first remote frame is painted, screenshots midway, 挂断,
wait for the session end, write the report.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from kiosk.app import KioskState
from kiosk.ui.kiosk_ui import KioskUi
from shared.protocol import CallState
from shared.ui.screenshot import save_screenshot

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_TIMEOUT = 3


@dataclass
class AutopilotOptions:
    """What `vw-kiosk run --autopilot` was asked to do."""

    call_seconds: float = 5.0
    report: Path | None = None
    screenshots: Path | None = None
    timeout: float = 120.0


class Autopilot:
    """One scripted visit (see module docstring); `run()` returns the exit code."""

    POLL = 0.05

    def __init__(self, ui: KioskUi, options: AutopilotOptions) -> None:
        self.ui = ui
        self.controller = ui.controller
        self.options = options
        self.error: str | None = None

    async def _until(self, condition: Callable[[], bool]) -> None:
        # Polling keeps the autopilot outside the controller: it sees only what the UI sees.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(self.POLL)

    def _stat_changed(self, key: str, before: object) -> bool:
        return bool(self.controller.stats[key] != before)

    def _call_over(self) -> bool:
        return self.controller.state in (KioskState.ENDED, KioskState.IDLE, KioskState.OFFLINE)

    async def _visit(self) -> None:
        c = self.controller
        while c.state != KioskState.IN_CALL:
            await self._until(lambda: c.state == KioskState.IDLE)
            if c.error:
                log.warning("autopilot: start failed (%s); trying again", c.error)
                await asyncio.sleep(1.0)
            before = c.stats["start_clicked_at"]
            log.info("autopilot: pressing start")
            self.ui.touch.home.start_button.click()
            # Wait until the click was handled, then for the officer or a way back home.
            await self._until(partial(self._stat_changed, "start_clicked_at", before))
            await self._until(lambda: c.state in (KioskState.IN_CALL, KioskState.IDLE))
        remote = self.ui.face.remote_view
        await self._until(
            lambda: (
                (c.call_state == CallState.CONNECTED and remote.frames_painted > 0)
                or self._call_over()
            )
        )
        if self._call_over():
            log.info("autopilot: the call ended before it connected")
            return
        log.info("autopilot: connected; holding the call %.1f s", self.options.call_seconds)
        half = self.options.call_seconds / 2
        if await self._hold(half):
            return
        self._screenshots()
        if await self._hold(self.options.call_seconds - half):
            return
        log.info("autopilot: pressing hang up")
        self.ui.touch.call.hangup_button.click()
        await self._until(self._call_over)
        # Give the hub's session.ended echo a moment; the call is over either way.
        try:
            await asyncio.wait_for(c.session_ended.wait(), 5.0)
        except TimeoutError:
            log.warning("autopilot: no session end confirmation from the hub")

    async def _hold(self, seconds: float) -> bool:
        """Wait `seconds` or until the call ends; True when it ended (officer hung up)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self._call_over():
                log.info("autopilot: the officer ended the call")
                return True
            await asyncio.sleep(self.POLL)
        return False

    def _screenshots(self) -> None:
        folder = self.options.screenshots
        if folder is None:
            return
        try:
            save_screenshot(self.ui.face, folder / "kiosk-face.png")
            save_screenshot(self.ui.touch, folder / "kiosk-touch.png")
        except OSError as exc:
            log.error("screenshots failed: %s", exc)

    async def run(self) -> int:
        """Do the visit within the timeout, write the report, return the exit code."""
        code = EXIT_OK
        try:
            await asyncio.wait_for(self._visit(), self.options.timeout)
        except TimeoutError:
            self.error = (
                f"timeout after {self.options.timeout:g} s in state {self.controller.state}"
            )
            code = EXIT_TIMEOUT
        except Exception as exc:
            log.exception("autopilot failed")
            self.error = str(exc) or type(exc).__name__
            code = EXIT_TIMEOUT
        self.write_report()
        return code

    def report(self) -> dict[str, Any]:
        """The report dictionary (see the kiosk brief)."""
        stats = self.controller.refresh_stats()
        stats["frames_painted"] = self.ui.face.remote_view.frames_painted
        return {"app": "kiosk", **stats, "error": self.error}

    def write_report(self) -> None:
        """Write the report JSON if a path was given."""
        path = self.options.report
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.report(), ensure_ascii=False, indent=2), encoding="utf-8")
        log.info("autopilot report written to %s", path)
