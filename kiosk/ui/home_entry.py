"""A page the kiosk's home screen opens with a button of its own (查询办理进度, 原件交接).

Both are idle-time pages backed by a desk (`open`, `close`, `active`, `listeners`):
the button opens the desk, every change of the desk refreshes the UI, two minutes
without a touch close it again (what it shows is personal or staff-only), and the
touch screen asks `active_page()` which page to show while no call runs.

An entry knows its host (the kiosk UI) only as an `EntryHost`: the controller, the
touch window and `refresh()`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QPushButton, QWidget

from kiosk.app import KioskController
from kiosk.progress import CameraLike
from kiosk.ui.touch_window import TouchWindow

IDLE_HOME_MS = 120_000
"""Back to the home page after two minutes without a touch."""


class EntryDesk(Protocol):
    """What a home-entry page's desk offers."""

    active: bool
    listeners: list[Callable[[], None]]

    def open(self) -> None: ...

    def close(self) -> None: ...


class EntryHost(Protocol):
    """What a home entry uses of the kiosk UI it is added to (`KioskUi` is one)."""

    @property
    def controller(self) -> KioskController:
        """The kiosk's controller (its hub client, document camera and call state)."""
        ...

    @property
    def touch(self) -> TouchWindow:
        """The touch window the entry's page and button go on."""
        ...

    def refresh(self) -> None:
        """Show the page that matches the controller now (the entry's desk changed)."""
        ...


class HomeEntry:
    """Adds `page` to the touch screen and `entry` to the home page, for `desk`."""

    def __init__(self, ui: EntryHost, desk: EntryDesk, page: QWidget, entry: QPushButton) -> None:
        self._ui = ui
        self.desk = desk
        self.page = page
        self.entry = entry
        ui.touch.add_page(page)
        entry.clicked.connect(desk.open)
        add_button = getattr(ui.touch.home, "add_button", None)
        if callable(add_button):
            add_button(entry)
        desk.listeners.append(self._changed)
        self._idle = QTimer(page)
        self._idle.setSingleShot(True)
        self._idle.setInterval(IDLE_HOME_MS)
        self._idle.timeout.connect(desk.close)

    def active_page(self) -> QWidget | None:
        """The page while it is open (the kiosk is idle), else None."""
        return self.page if self.desk.active else None

    def _changed(self) -> None:
        if self.desk.active:
            self._idle.start()
        else:
            self._idle.stop()
        self._ui.refresh()


def camera_of(ui: EntryHost) -> Callable[[], Awaitable[CameraLike | None]] | None:
    """The document camera getter a desk scans QR codes with, or None without a camera."""
    capture = ui.controller.capture
    if capture is None:
        return None

    async def camera() -> CameraLike | None:
        return await capture.preview_camera()

    return camera
