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
from kiosk.identity import Prompt
from kiosk.ui.autopilot_documents import DocumentsPilot
from kiosk.ui.autopilot_pages import PagesPilot
from kiosk.ui.autopilot_rating import RatingPilot
from kiosk.ui.autopilot_start import StartPilot
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
    id_card_wait: float = 20.0
    """Before hanging up, wait this long for an ID card read the officer asked for."""
    pages: int = 2
    """Before hanging up, wait for this many delivered pages (the officer's 拍摄材料)."""
    pages_wait: float = 45.0
    documents_wait: float = 30.0
    """After the card, wait this long for the officer's receipt to print and form to be signed."""
    matter: str | None = None
    """The matter code to choose on the start pages (None: the first one this kiosk offers)."""


class Autopilot:
    """One scripted visit (see module docstring); `run()` returns the exit code."""

    POLL = 0.05

    def __init__(self, ui: KioskUi, options: AutopilotOptions) -> None:
        self.ui = ui
        self.controller = ui.controller
        self.options = options
        self.error: str | None = None
        self._card_prompt_shots = 0
        self._card_placed = False  # for the prompt on screen now
        self.documents = DocumentsPilot(ui, options.screenshots)
        self.pages = PagesPilot(ui, options.screenshots, options.pages)
        self.start = StartPilot(ui, options.screenshots, options.matter)

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
            await self.start.press_start()  # through the start pages (issue 6)
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
        await self._finish_id_card()
        if self._call_over():
            return
        await self.documents.finish(self.options.documents_wait, self._call_over)
        if self._call_over():
            return
        await self.pages.finish(self.options.pages_wait, self._call_over)
        if self._call_over():
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
            self._serve_card_prompt()
            self.documents.serve()
            await asyncio.sleep(self.POLL)
        return False

    def _serve_card_prompt(self) -> None:
        """When the touch screen asks for the card, 'place' the first demo resident's card."""
        touch = self.ui.touch
        if touch.current_page() is not touch.card_prompt:
            self._card_placed = False
            return
        reader = self.controller.idcard.reader
        present = getattr(reader, "present", None)
        if present is None or self._card_placed:
            return  # the reader is still opening, is not the simulated one, or has the card
        if self._card_prompt_shots == 0 and self.options.screenshots is not None:
            try:
                save_screenshot(touch, self.options.screenshots / "kiosk-card-prompt.png")
            except OSError as exc:
                log.error("screenshot failed: %s", exc)
        self._card_prompt_shots += 1
        log.info("autopilot: placing the first demo card on the reader")
        remove = getattr(reader, "remove", None)
        if remove is not None:
            remove()  # a card left from an earlier read would not be read again
        present(0)
        self._card_placed = True

    async def _finish_id_card(self) -> None:
        """Give an ID card read in progress (or one about to be asked for) time to finish."""
        desk = self.controller.idcard
        deadline = time.monotonic() + self.options.id_card_wait
        while time.monotonic() < deadline and not self._call_over():
            if desk.reports > 0 and desk.prompt is Prompt.NONE:
                return
            self._serve_card_prompt()
            await asyncio.sleep(self.POLL)
        if desk.reports == 0:
            log.warning("autopilot: no ID card was read in this call")

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
            await RatingPilot(self.ui, self.options.screenshots).finish()  # 好差评 (issue 6)
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
        stats["documents_printed"] = self.controller.printing.printed
        stats["forms_signed"] = self.controller.signing.signed
        stats["matter_code"] = self.start.chosen
        stats["checklist_items"] = self.start.checklist_items
        return {"app": "kiosk", **stats, "error": self.error}

    def write_report(self) -> None:
        """Write the report JSON if a path was given."""
        path = self.options.report
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.report(), ensure_ascii=False, indent=2), encoding="utf-8")
        log.info("autopilot report written to %s", path)
