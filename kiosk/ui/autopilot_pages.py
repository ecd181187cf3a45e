"""The kiosk autopilot's part in capturing pages (issue 4).

Nothing is clicked for a capture: the officer's 拍摄材料 opens the capture page and
the simulated document camera's pages settle under it, so the desk's auto-capture
fires by itself, as it would for a resident. The pilot watches the desk (as a
listener, so no moment is missed whatever the main script waits for), saves
`kiosk-capture.png` once the preview shows a page outlined with an earlier page
already 已送达, and before hanging up waits until the pages the officer asked for
are delivered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.materials import CaptureState
from kiosk.ui.kiosk_ui import KioskUi
from shared.ui.screenshot import save_screenshot

log = logging.getLogger(__name__)

POLL_S = 0.05
SHOT_NAME = "kiosk-capture.png"
LINGER_S = 2.0


class PagesPilot:
    """Screenshots the capture page and waits for delivery (see module docstring)."""

    def __init__(self, ui: KioskUi, screenshots: Path | None, pages: int) -> None:
        self.ui = ui
        self.desk = ui.controller.capture
        self.screenshots = screenshots
        self.pages = pages
        self.shot_taken = False
        if self.desk is not None:
            self.desk.add_listener(self._changed)

    def _changed(self) -> None:
        desk = self.desk
        if self.shot_taken or desk is None or desk.state != CaptureState.PREVIEW:
            return
        page = self.ui.touch.capture
        check = desk.check
        # The best picture: a page outlined green while it settles, an earlier one delivered.
        ready = (
            check is not None
            and check.ok
            and desk.auto.streak >= 2
            and not desk.auto.holding_last  # a new page, about to be captured
        )
        if ready and desk.pages_delivered >= 1 and self.ui.touch.current_page() is page:
            page.preview.poll()  # the newest frame, not the one of the last timer tick
            self._shoot()

    def _shoot(self) -> None:
        self.shot_taken = True
        if self.screenshots is None:
            return
        try:
            save_screenshot(self.ui.touch, self.screenshots / SHOT_NAME)
        except OSError as exc:
            log.error("screenshot failed: %s", exc)

    async def finish(self, wait: float, call_over: Callable[[], bool]) -> None:
        """Wait up to `wait` s for `pages` delivered pages of this call (none without a
        document camera)."""
        desk = self.desk
        if desk is None or self.pages <= 0:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and not call_over():
            if desk.pages_delivered >= self.pages:
                break
            await asyncio.sleep(POLL_S)
        delivered = desk.pages_delivered
        # Like a resident, stay a moment so the officer sees the last page arrive.
        linger_until = time.monotonic() + LINGER_S
        while time.monotonic() < linger_until and not call_over():  # noqa: ASYNC110
            await asyncio.sleep(POLL_S)
        if delivered < self.pages:
            log.warning("autopilot: %d of %d pages delivered in this call", delivered, self.pages)
        if not self.shot_taken and desk.state != CaptureState.IDLE and not call_over():
            self._shoot()  # a picture of the capture page even if the ideal moment never came
        if desk.state == CaptureState.CAPTURED and not call_over():
            log.info("autopilot: pressing 完成 on the capture page")
            self.ui.touch.capture.done_button.click()
