"""The autopilot's rating (好差评) at the end of the demo visit.

After the call it waits for the rating page, taps 非常满意 and two reasons,
takes screenshots of the page and the thank-you, and submits, all through the
real buttons. The outcome goes into the report's stats as `rating`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from kiosk.rating import RatingState
from kiosk.ui.kiosk_ui import KioskUi
from shared.ui.screenshot import save_screenshot

log = logging.getLogger(__name__)

DEMO_LEVEL = 5
DEMO_REASONS = ("efficient", "patient")


class RatingPilot:
    """Gives the demo visit's rating."""

    POLL = 0.05

    def __init__(self, ui: KioskUi, screenshots: Path | None, wait_s: float = 10.0) -> None:
        self.ui = ui
        self.screenshots = screenshots
        self.wait_s = wait_s

    def _shot(self, name: str) -> None:
        if self.screenshots is None:
            return
        try:
            save_screenshot(self.ui.touch, self.screenshots / name)
        except OSError as exc:
            log.error("screenshot failed: %s", exc)

    async def _until(self, condition: object, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if callable(condition) and condition():
                return True
            await asyncio.sleep(self.POLL)
        return False

    async def finish(self) -> None:
        """Rate the visit on the rating page (if this kiosk shows one)."""
        rating = self.ui.rating
        if rating is None:
            return
        desk = rating.desk
        if not await self._until(lambda: self.ui.touch.current_page() is rating.page, self.wait_s):
            log.warning("autopilot: no rating page after the call")
            return
        self._shot("kiosk-rating.png")
        log.info("autopilot: rating the visit")
        rating.page.level_buttons[DEMO_LEVEL].click()
        for code in DEMO_REASONS:
            rating.page.reason_buttons[code].click()
        self._shot("kiosk-rating-chosen.png")
        rating.page.submit_button.click()
        await self._until(lambda: desk.state == RatingState.THANKS or not desk.active, 10.0)
        self._shot("kiosk-rating-thanks.png")
        self.ui.controller.stats["rating"] = desk.outcome
        self.ui.controller.stats["rating_level"] = DEMO_LEVEL if desk.outcome == "rated" else None
        await self._until(lambda: not desk.active, 10.0)
