"""Putting the face and touch windows on the screens named in the config.

Windows are moved with `setScreen()` before `showFullScreen()`, never by pixel
positions (Wayland ignores those). Screens that come and go
(`screenAdded`/`screenRemoved`) trigger a new placement. With one screen the
two windows are shown as normal windows side by side on it.

On Wayland a compositor may place windows itself: the kiosk session's weston
(kiosk-shell) puts each window on the output whose `app-ids=` names the window's
xdg-shell app id. Qt has no per-window app id; it sends
`QGuiApplication.desktopFileName()` as the app id when a window's surface is
created, that is when the window is first shown. So each window is shown with
the desktop file name set to its own id (`FACE_APP_ID`, `TOUCH_APP_ID`, which the
packaged weston.ini names). Checked with PySide6 6.12 on weston 10: the protocol
log shows `set_app_id("vw-kiosk-face")` and `set_app_id("vw-kiosk-touch")`.
"""

from __future__ import annotations

import logging

from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QApplication, QWidget

log = logging.getLogger(__name__)

FACE_APP_ID = "vw-kiosk-face"
"""The face window's Wayland app id (weston.ini: `[output] app-ids=vw-kiosk-face`)."""
TOUCH_APP_ID = "vw-kiosk-touch"
"""The touch window's Wayland app id (weston.ini: `[output] app-ids=vw-kiosk-touch`)."""


def choose_screens(
    screens: list[QScreen], face_name: str, touch_name: str
) -> tuple[QScreen | None, QScreen | None]:
    """The (face, touch) screens: by name, else a different remaining screen, else the same one."""
    by_name = {s.name(): s for s in screens}
    face = by_name.get(face_name)
    touch = by_name.get(touch_name)
    if face is None:
        face = next((s for s in screens if s is not touch), None)
    if touch is None:
        touch = next((s for s in screens if s is not face), face)
    return face, touch


class ScreenPlacer:
    """Keeps the face and touch windows on their screens (see module docstring)."""

    def __init__(
        self,
        face: QWidget,
        touch: QWidget,
        face_name: str,
        touch_name: str,
        *,
        fullscreen: bool = True,
    ) -> None:
        self.face = face
        self.touch = touch
        self.face_name = face_name
        self.touch_name = touch_name
        self.fullscreen = fullscreen
        app = QApplication.instance()
        if isinstance(app, QGuiApplication):
            app.screenAdded.connect(self._screens_changed)
            app.screenRemoved.connect(self._screens_changed)

    def _screens_changed(self, screen: QScreen) -> None:
        log.info("screens changed (%s); placing the windows again", screen.name())
        self.place()

    def place(self) -> None:
        """Put both windows on their screens and show them."""
        screens = QGuiApplication.screens()
        face_screen, touch_screen = choose_screens(screens, self.face_name, self.touch_name)
        if face_screen is None or touch_screen is None:
            log.error("no screen to show the kiosk on")
            return
        two_screens = face_screen is not touch_screen
        if not two_screens:
            log.warning("only one screen (%s): showing both windows on it", face_screen.name())
        placements = (
            (self.face, face_screen, FACE_APP_ID),
            (self.touch, touch_screen, TOUCH_APP_ID),
        )
        for window, screen, app_id in placements:
            # Read by Qt's Wayland plugin when this window's surface is created (first show).
            QGuiApplication.setDesktopFileName(app_id)
            if window.isFullScreen() and window.screen() is not screen:
                window.showNormal()  # leave full screen before moving to another screen
            window.setScreen(screen)
            if two_screens and self.fullscreen:
                window.setGeometry(screen.geometry())
                window.showFullScreen()
            else:
                self._show_windowed(window, screen, left=window is self.face)

    @staticmethod
    def _show_windowed(window: QWidget, screen: QScreen, *, left: bool) -> None:
        area = screen.availableGeometry()
        width = area.width() // 2
        window.setGeometry(area.x() + (0 if left else width), area.y(), width, area.height())
        window.showNormal()
