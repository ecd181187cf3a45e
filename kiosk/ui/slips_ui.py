"""Wires 原件交接 into the kiosk UI: the home page's staff button and the hand-over page."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QPushButton, QWidget

from kiosk.progress import CameraLike, ProgressHub
from kiosk.slips import SlipDesk
from kiosk.ui.slips_page import SlipsPage
from kiosk.ui.widgets import touch_button
from shared.i18n import tr

if TYPE_CHECKING:
    from kiosk.ui.kiosk_ui import KioskUi

IDLE_HOME_MS = 120_000
"""Back to the home page after two minutes without a touch."""


class SlipsUi:
    """The hand-over page and its home-page entry."""

    def __init__(self, ui: KioskUi, spawn: Callable[[Coroutine[Any, Any, Any]], object]) -> None:
        self._ui = ui
        hub = ui.controller.hub
        http: ProgressHub | None = hub if isinstance(hub, ProgressHub) else None
        capture = ui.controller.capture
        self.desk = SlipDesk(lambda: http, self._camera if capture is not None else None)
        self.page = SlipsPage()
        ui.touch.add_page(self.page)
        self.page.follow(self.desk)
        self.page.scan_button.setVisible(capture is not None)  # no document camera: no scan
        self.page.scan_requested.connect(lambda: spawn(self.desk.scan()))
        self.page.hop_requested.connect(lambda hop: spawn(self.desk.record(hop)))
        self.page.back_requested.connect(self.desk.close)
        self.desk.listeners.append(self._changed)
        self.entry = self._add_entry(ui.touch.home)
        self._idle = QTimer(self.page)
        self._idle.setSingleShot(True)
        self._idle.setInterval(IDLE_HOME_MS)
        self._idle.timeout.connect(self.desk.close)

    async def _camera(self) -> CameraLike | None:
        capture = self._ui.controller.capture
        return None if capture is None else await capture.preview_camera()

    def _add_entry(self, home: QWidget) -> QPushButton:
        # For the helper, not the resident: smaller than the resident's buttons, still touchable.
        button = touch_button(tr("slips", "entry"), "secondary", 80, name="slipsEntryButton")
        button.setMinimumWidth(480)
        button.clicked.connect(self.desk.open)
        add_button = getattr(home, "add_button", None)
        if callable(add_button):
            add_button(button)
        return button

    def _changed(self) -> None:
        if self.desk.active:
            self._idle.start()
        else:
            self._idle.stop()
        self._ui.refresh()

    def active_page(self) -> QWidget | None:
        """The hand-over page while it is open (the kiosk is idle), else None."""
        return self.page if self.desk.active else None


def install_slips_ui(ui: KioskUi, spawn: Callable[[Coroutine[Any, Any, Any]], object]) -> SlipsUi:
    """Add 原件交接 to a kiosk UI."""
    return SlipsUi(ui, spawn)
