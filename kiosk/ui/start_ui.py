"""Binds the start pages to `StartFlow` and the touch window (issue 6, the resident's start).

`KioskUi` makes one `StartUi` when the hub client has an HTTP side: HomePage's
开始办理 then opens the category page instead of joining the queue at once. When
no catalogue can be had (no hub answer and no cached copy), 开始办理 joins the
queue with the configured matter as before, so a resident is still served.
The catalogue is fetched again whenever the hub (re)connects. An idle timeout
returns to the home page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine, Iterable
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, QTimer

from kiosk.app import KioskController, KioskState
from kiosk.catalogue import CatalogueDesk, NoCatalogue
from kiosk.start_flow import StartFlow, StartStep
from kiosk.ui.start_pages import (
    CallbackDonePage,
    CallbackPage,
    CategoryPage,
    MatterListPage,
    MatterPage,
    StartPage,
)
from kiosk.ui.touch_window import TouchWindow
from shared.i18n import tr

log = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, Any]], Any]
IDLE_SECONDS = 90.0


def device_monitor(controller: KioskController) -> Callable[[], Iterable[str]]:
    """The unavailable device kinds from the controller's health monitor, if it has one."""

    def unavailable() -> Iterable[str]:
        monitor = controller.health  # kiosk.health.monitor.HealthMonitor, or None
        return () if monitor is None else monitor.unavailable_devices()

    return unavailable


class StartUi(QObject):
    """The start pages inside the touch window, following a `StartFlow`."""

    def __init__(
        self,
        controller: KioskController,
        touch: TouchWindow,
        spawn: Spawn,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        super().__init__(touch)
        self.controller = controller
        self.touch = touch
        self._spawn = spawn
        self.idle_seconds = idle_seconds
        self.desk = CatalogueDesk(
            controller.hub,  # type: ignore[arg-type]  # HubClient: checked by KioskUi
            controller.state_dir,
            device_monitor(controller),
        )
        self.flow = StartFlow(
            self.desk, controller.start_service, self.render, card=controller.idcard
        )
        self.category = CategoryPage()
        self.matters = MatterListPage()
        self.matter = MatterPage()
        self.callback = CallbackPage()
        self.callback_done = CallbackDonePage()
        self.pages: dict[StartStep, StartPage] = {
            StartStep.CATEGORY: self.category,
            StartStep.MATTERS: self.matters,
            StartStep.SEARCH: self.matters,
            StartStep.MATTER: self.matter,
            StartStep.CALLBACK: self.callback,
            StartStep.CALLBACK_DONE: self.callback_done,
        }
        for page in (self.category, self.matters, self.matter, self.callback, self.callback_done):
            touch.add_page(page)
            page.back_button.clicked.connect(self._touched(self.flow.back))
            page.home_button.clicked.connect(self._touched(self.flow.home))
        self._wire()
        self._last_touch = time.monotonic()
        self._idle = QTimer(self)
        self._idle.setInterval(1000)
        self._idle.timeout.connect(self.check_idle)
        self._idle.start()
        controller.add_listener(self._on_controller)
        self._was_connected = False

    def _touched(self, action: Callable[[], Any]) -> Callable[..., None]:
        def run(*_: Any) -> None:
            self._last_touch = time.monotonic()
            action()

        return run

    def _wire(self) -> None:
        flow = self.flow
        self.category.search_button.clicked.connect(self._touched(flow.open_search))
        keyboard = self.matters.keyboard
        for letter, key in keyboard.keys.items():
            key.clicked.connect(self._touched(partial(flow.type_letter, letter)))
        keyboard.backspace.clicked.connect(self._touched(flow.backspace_letter))
        keyboard.clear.clicked.connect(self._touched(flow.clear_query))
        self.matter.assistance_button.clicked.connect(
            self._touched(lambda: flow.set_assistance(not flow.assistance))
        )
        self.matter.card_button.clicked.connect(self._touched(flow.read_card))
        self.matter.start_button.clicked.connect(self._touched(self._on_start))
        self.matter.callback_button.clicked.connect(self._touched(flow.open_callback))
        keypad = self.callback.keypad
        for digit, key in keypad.keys.items():
            key.clicked.connect(self._touched(partial(flow.type_digit, digit)))
        keypad.backspace.clicked.connect(self._touched(flow.backspace_digit))
        keypad.clear.clicked.connect(self._touched(flow.clear_phone))
        self.callback.note.textEdited.connect(self._touched(self._on_note))
        self.callback.submit_button.clicked.connect(self._touched(self._on_submit))
        self.callback_done.done_button.clicked.connect(self._touched(flow.home))

    # --- actions ----------------------------------------------------------------

    def begin(self) -> None:
        """HomePage's 开始办理."""
        self._last_touch = time.monotonic()
        self._spawn(self._begin())

    async def _begin(self) -> None:
        await self.flow.begin()
        if self.flow.step == StartStep.HOME and self.flow.error == "error.no_catalogue":
            log.warning("no catalogue: joining the queue with the configured matter")
            self.flow.error = None
            await self.controller.start_service()

    def _on_start(self) -> None:
        self.matter.start_button.setEnabled(False)
        self._spawn(self.flow.start())

    def _on_note(self) -> None:
        self.flow.note = self.callback.note.text()

    def _on_submit(self) -> None:
        self.flow.note = self.callback.note.text()
        self.callback.submit_button.setEnabled(False)
        self._spawn(self.flow.submit_callback())

    def _on_controller(self, what: str) -> None:
        if what != "hub":
            return
        connected = self.controller.hub_connected
        if connected and not self._was_connected:
            self._spawn(self._refresh_catalogue())
        self._was_connected = connected

    async def _refresh_catalogue(self) -> None:
        try:
            await self.desk.refresh()
        except NoCatalogue as exc:
            log.warning("no catalogue yet: %s", exc)
        self.render()

    def check_idle(self) -> None:
        """Back to the home page after `idle_seconds` without a touch."""
        if self.flow.step == StartStep.HOME:
            return
        if time.monotonic() - self._last_touch >= self.idle_seconds:
            log.info("start pages idle; back to the home page")
            self.flow.home()

    # --- rendering --------------------------------------------------------------

    def active_page(self) -> StartPage | None:
        """The start page to show while the kiosk is idle (None: the home page)."""
        if self.controller.state != KioskState.IDLE:
            return None
        return self.pages.get(self.flow.step)

    def render(self) -> None:
        """Fill the page of the current step and bring it to the front when idle."""
        flow = self.flow
        step = flow.step
        page = self.pages.get(step)
        if page is not None:
            page.show_error(tr("start", flow.error) if flow.error else "")
        if step == StartStep.CATEGORY:
            self.category.show_lines(self.desk.lines(), self._touched_choose(flow.choose_line))
        elif step in (StartStep.MATTERS, StartStep.SEARCH):
            searching = step == StartStep.SEARCH
            if searching:
                self.matters.show_search(flow.query)
            else:
                catalogue = self.desk.catalogue
                line = catalogue.line(flow.line_code) if catalogue and flow.line_code else None
                self.matters.show_line(line.name if line else "")
            self.matters.show_matters(
                flow.shown_matters(), self._touched_choose(flow.choose_matter), searching
            )
        elif step == StartStep.MATTER and flow.offer is not None:
            self._render_matter()
        elif step == StartStep.CALLBACK:
            self.callback.show_phone(flow.phone_shown(), flow.phone_valid(), flow.busy)
            if not flow.note and self.callback.note.text():
                self.callback.note.clear()
        elif step == StartStep.CALLBACK_DONE and flow.offer is not None:
            self.callback_done.show_done(flow.phone_masked or "", flow.offer.matter.name)
        self._show()

    def _render_matter(self) -> None:
        flow = self.flow
        assert flow.offer is not None
        if self.matter.title.text() != flow.offer.matter.name:
            self.matter.show_matter(flow.offer.matter)
        hours = flow.hours
        next_open = hours.next_open.astimezone().strftime("%m-%d %H:%M") if hours.next_open else ""
        self.matter.show_options(
            assistance=flow.assistance,
            card=flow.card_feasible,
            open_now=hours.open_now and not hours.closed,
            hours=hours.hours_text(),
            next_open=next_open,
        )
        self.matter.start_button.setEnabled(not flow.busy)
        self.matter.card_note.setText(tr("start", flow.card_message) if flow.card_message else "")

    def _touched_choose(self, action: Callable[[str], Any]) -> Callable[[str], None]:
        def run(code: str) -> None:
            self._last_touch = time.monotonic()
            action(code)

        return run

    def _show(self) -> None:
        page = self.active_page()
        if page is not None:
            self.touch.show_page(page)
        elif self.controller.state == KioskState.IDLE and self.touch.current_page() in set(
            self.pages.values()
        ):
            # Leaving the start pages; pages of other areas (case progress) are left alone.
            self.touch.show_page(self.touch.home)
