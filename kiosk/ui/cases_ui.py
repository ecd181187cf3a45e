"""Wires issue 6's case pieces into the kiosk UI: 查询办理进度 and the capture page's checklist."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QPushButton, QWidget

from kiosk.progress import CameraLike, ProgressDesk, ProgressHub
from kiosk.ui.checklist_box import ChecklistBox
from kiosk.ui.progress_page import ProgressPage
from shared.i18n import tr

if TYPE_CHECKING:
    from kiosk.ui.kiosk_ui import KioskUi

IDLE_HOME_MS = 120_000
"""Back to the home page after two minutes without a touch (the answer is personal)."""


class CasesUi:
    """The progress page and its home-page entry, and the checklist on the capture page."""

    def __init__(self, ui: KioskUi, spawn: Callable[[Coroutine[Any, Any, Any]], object]) -> None:
        self._ui = ui
        self._spawn = spawn
        controller = ui.controller
        hub = controller.hub
        http: ProgressHub | None = hub if isinstance(hub, ProgressHub) else None

        def get_hub() -> ProgressHub | None:
            return http

        capture = controller.capture
        self.desk = ProgressDesk(get_hub, self._camera if capture is not None else None)
        self.page = ProgressPage()
        ui.touch.add_page(self.page)
        self.page.follow(self.desk)
        self.page.scan_button.setVisible(capture is not None)  # no document camera: no scan
        self.page.scan_requested.connect(lambda: self._spawn(self.desk.scan()))
        self.page.query_requested.connect(lambda: self._spawn(self.desk.query()))
        self.page.back_requested.connect(self.desk.close)
        self.desk.listeners.append(self._changed)
        self.entry = self._add_entry(ui.touch.home)
        self._idle = QTimer(self.page)
        self._idle.setSingleShot(True)
        self._idle.setInterval(IDLE_HOME_MS)
        self._idle.timeout.connect(self.desk.close)
        # The checklist sits under the capture page's list of pages.
        self.checklist = ChecklistBox()
        self.checklist.attach_to(ui.touch.capture, ui.touch.capture.pages)
        controller.add_listener(self._on_controller)

    async def _camera(self) -> CameraLike | None:
        capture = self._ui.controller.capture
        return None if capture is None else await capture.preview_camera()

    def _add_entry(self, home: QWidget) -> QPushButton:
        button = QPushButton(tr("cases", "progress.entry"))
        button.setObjectName("progressEntryButton")
        button.setAccessibleName(button.text())
        button.setProperty("role", "secondary")
        button.setMinimumSize(480, 110)
        button.clicked.connect(self._open)
        add_button = getattr(home, "add_button", None)
        if callable(add_button):
            add_button(button)
        return button

    def _open(self) -> None:
        self.desk.open()

    def _changed(self) -> None:
        if self.desk.active:
            self._idle.start()
        else:
            self._idle.stop()
        self._ui.refresh()

    def active_page(self) -> QWidget | None:
        """The progress page while it is open (the kiosk is idle), else None."""
        return self.page if self.desk.active else None

    def _on_controller(self, what: str) -> None:
        controller = self._ui.controller
        status = controller.checklist
        if status is not None and status.session_id != controller.session_id:
            status = None  # a previous call's checklist
        if what in ("checklist", "call", "state"):
            self.checklist.show_status(status)


def install_cases_ui(ui: KioskUi, spawn: Callable[[Coroutine[Any, Any, Any]], object]) -> CasesUi:
    """Add the progress look-up and the capture page's checklist to a kiosk UI."""
    return CasesUi(ui, spawn)
