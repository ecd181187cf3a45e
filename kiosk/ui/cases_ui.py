"""Wires issue 6's case pieces into the kiosk UI: 查询办理进度 and the capture page's checklist."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from kiosk.progress import ProgressDesk, ProgressHub
from kiosk.ui.checklist_box import ChecklistBox
from kiosk.ui.home_entry import EntryHost, HomeEntry, camera_of
from kiosk.ui.progress_page import ProgressPage
from kiosk.ui.widgets import touch_button
from shared.i18n import tr


class CasesUi(HomeEntry):
    """The progress page and its home-page entry, and the checklist on the capture page."""

    def __init__(self, ui: EntryHost, spawn: Callable[[Coroutine[Any, Any, Any]], object]) -> None:
        controller = ui.controller
        hub = controller.hub
        http: ProgressHub | None = hub if isinstance(hub, ProgressHub) else None
        camera = camera_of(ui)
        desk = ProgressDesk(lambda: http, camera)
        page = ProgressPage()
        entry = touch_button(tr("cases", "progress.entry"), "secondary", 110, width=480,
                             name="progressEntryButton")  # fmt: skip
        super().__init__(ui, desk, page, entry)
        self.desk: ProgressDesk = desk
        self.page: ProgressPage = page
        page.follow(desk)
        page.scan_button.setVisible(camera is not None)  # no document camera: no scan
        page.scan_requested.connect(lambda: spawn(desk.scan()))
        page.query_requested.connect(lambda: spawn(desk.query()))
        page.back_requested.connect(desk.close)
        # The checklist sits under the capture page's list of pages.
        self.checklist = ChecklistBox()
        self.checklist.attach_to(ui.touch.capture, ui.touch.capture.pages)
        controller.add_listener(self._on_controller)

    def _on_controller(self, what: str) -> None:
        controller = self._ui.controller
        status = controller.checklist
        if status is not None and status.session_id != controller.session_id:
            status = None  # a previous call's checklist
        if what in ("checklist", "call", "state"):
            self.checklist.show_status(status)


def install_cases_ui(ui: EntryHost, spawn: Callable[[Coroutine[Any, Any, Any]], object]) -> CasesUi:
    """Add the progress look-up and the capture page's checklist to a kiosk UI."""
    return CasesUi(ui, spawn)
