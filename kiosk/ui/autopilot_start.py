"""The autopilot's start: choose the demo's matter through the real start pages (issue 6).

开始办理 on the home page -> the matter's line on the category page -> the
matter in the list -> its checklist -> 开始办理. Every step clicks the real
buttons and waits for the page the resident would see; screenshots of the
category and checklist pages go to the screenshot folder. Without start pages
(no catalogue on this hub) it presses 开始办理 on the home page as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from kiosk.app import KioskState
from kiosk.start_flow import StartStep
from kiosk.ui.kiosk_ui import KioskUi
from shared.catalogue.model import Matter
from shared.ui.screenshot import save_screenshot

log = logging.getLogger(__name__)

POLL = 0.05
STEP_TIMEOUT = 20.0


class StartPilot:
    """Drives the start pages to the queue (see module docstring)."""

    def __init__(self, ui: KioskUi, screenshots: Path | None, matter: str | None) -> None:
        self.ui = ui
        self.screenshots = screenshots
        self.matter_code = matter
        self.chosen: str | None = None
        self.checklist_items = 0
        """How many checklist items the matter page showed before 开始办理."""

    async def _until(self, condition: Callable[[], bool], what: str) -> None:
        async with asyncio.timeout(STEP_TIMEOUT):
            while not condition():  # noqa: ASYNC110 - it sees only what the UI sees
                await asyncio.sleep(POLL)
        log.debug("autopilot: %s", what)

    def _shot(self, name: str) -> None:
        if self.screenshots is None:
            return
        try:
            save_screenshot(self.ui.touch, self.screenshots / name)
        except OSError as exc:
            log.error("screenshot failed: %s", exc)

    def _target(self) -> Matter | None:
        """The configured matter if offered here, else the first matter this kiosk can take."""
        assert self.ui.start is not None
        desk = self.ui.start.desk
        if desk.catalogue is None:
            return None
        offers = desk.offered()
        if self.matter_code is not None:
            for offer in offers:
                if offer.matter.code == self.matter_code and offer.available:
                    return offer.matter
            log.warning("autopilot: matter %s is not offered here", self.matter_code)
        return next((o.matter for o in offers if o.available), None)

    async def press_start(self) -> None:
        """From the home page into the queue (returns once 开始办理 was pressed)."""
        ui, start = self.ui, self.ui.start
        ui.touch.home.start_button.click()
        if start is None:
            return
        flow = start.flow
        controller = ui.controller
        await self._until(
            lambda: flow.step == StartStep.CATEGORY or controller.state != KioskState.IDLE,
            "category page",
        )
        if controller.state != KioskState.IDLE:
            return  # no catalogue: the home button joined the queue itself
        matter = self._target()
        if matter is None:
            raise RuntimeError("no matter this kiosk can offer")
        self.chosen = matter.code
        await self._until(lambda: matter.line in start.category.line_buttons, "line buttons")
        self._shot("kiosk-start-category.png")
        log.info("autopilot: choosing %s (%s)", matter.code, matter.line)
        start.category.line_buttons[matter.line].click()
        await self._until(lambda: matter.code in start.matters.matter_buttons, "matter list")
        self._shot("kiosk-start-matters.png")
        start.matters.matter_buttons[matter.code].click()
        await self._until(lambda: flow.step == StartStep.MATTER, "checklist")
        await asyncio.sleep(0.2)  # the service hours answer lands on the page
        self._shot("kiosk-start-checklist.png")
        self.checklist_items = len(start.matter.item_labels)
        if not (flow.hours.open_now and not flow.hours.closed):
            raise RuntimeError("the point is outside its service hours")
        start.matter.start_button.click()
