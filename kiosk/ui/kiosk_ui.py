"""Binds the two kiosk windows to the `KioskController` (the humble view's Qt side)."""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QTimer

from kiosk.app import KioskController, KioskState
from kiosk.ui.face_window import FaceWindow
from kiosk.ui.screens import ScreenPlacer
from kiosk.ui.touch_window import TouchWindow
from shared.i18n import tr
from shared.protocol import CallState
from shared.tasks import TaskKeeper

Spawn = Callable[[Coroutine[Any, Any, Any]], Any]
"""Runs a controller coroutine started by a button (default: a task on the running loop)."""


class KioskUi:
    """Owns the face and touch windows and keeps them in step with the controller."""

    def __init__(
        self,
        controller: KioskController,
        *,
        face_screen: str = "face",
        touch_screen: str = "touch",
        fullscreen: bool = True,
        spawn: Spawn | None = None,
    ) -> None:
        self.controller = controller
        self._tasks = TaskKeeper("kiosk-ui")
        self._spawn: Spawn = spawn or (lambda coro: self._tasks.start(coro, "ui-action"))
        self.face = FaceWindow()
        self.touch = TouchWindow()
        self.face.set_frame_sources(controller.remote_frame, controller.local_frame)
        self.placer = ScreenPlacer(
            self.face, self.touch, face_screen, touch_screen, fullscreen=fullscreen
        )

        self.touch.home.start_button.clicked.connect(self._on_start)
        self.touch.waiting.cancel_button.clicked.connect(self._on_cancel)
        self.touch.call.hangup_button.clicked.connect(self._on_hangup)
        self.touch.ended.home_button.clicked.connect(self._on_home)
        controller.add_listener(self._on_change)

        self._tick = QTimer(self.touch)
        self._tick.setInterval(500)
        self._tick.timeout.connect(self._on_tick)
        self._tick.start()
        self.refresh()

    def show(self) -> None:
        """Place the windows on their screens and show them."""
        self.placer.place()

    def close(self) -> None:
        """Stop the timers and close both windows."""
        self._tick.stop()
        self.face.close()
        self.touch.close()

    async def aclose(self) -> None:
        """Cancel button actions still running, then close the windows."""
        await self._tasks.cancel_all()
        self.close()

    # --- buttons -------------------------------------------------------------

    def _on_start(self) -> None:
        self._spawn(self.controller.start_service())

    def _on_cancel(self) -> None:
        self._spawn(self.controller.cancel_waiting())

    def _on_hangup(self) -> None:
        # Disable at once so a second tap does not send a second hang-up.
        self.touch.call.hangup_button.setEnabled(False)
        self._spawn(self.controller.hang_up())

    def _on_home(self) -> None:
        self.controller.go_home()

    # --- rendering -----------------------------------------------------------

    def _on_change(self, what: str) -> None:
        del what
        self.refresh()

    def _on_tick(self) -> None:
        self.touch.update_clock()
        state = self.controller.state
        if state == KioskState.WAITING:
            self._render_waiting()
        elif state == KioskState.ENDED:
            self._render_ended()

    def refresh(self) -> None:
        """Show the page and texts that match the controller now."""
        c = self.controller
        self.touch.set_point_name(c.point_name)
        state = c.state
        in_call = state == KioskState.IN_CALL
        reconnecting = in_call and c.call_state == CallState.RECONNECTING
        if state == KioskState.IDLE:
            self.touch.home.show_error(tr("kiosk", c.error) if c.error else "")
            self.touch.home.start_button.setEnabled(True)
            self.touch.show_page(self.touch.home)
            face_key = "idle"
        elif state == KioskState.WAITING:
            self._render_waiting()
            self.touch.show_page(self.touch.waiting)
            face_key = "waiting"
        elif in_call:
            face_key = self._call_status_key()
            self.touch.call.show_call(tr("kiosk", f"face.status.{face_key}"), c.officer_name)
            self.touch.call.hangup_button.setEnabled(True)
            self.touch.show_page(self.touch.call)
        elif state == KioskState.ENDED:
            self._render_ended()
            self.touch.show_page(self.touch.ended)
            face_key = "ended"
        else:
            self.touch.show_page(self.touch.offline)
            face_key = "offline"
        self.face.show_status(
            face_key,
            c.officer_name if in_call else None,
            reconnecting=reconnecting,
            in_call=in_call,
        )

    def _call_status_key(self) -> str:
        call_state = self.controller.call_state
        if call_state == CallState.CONNECTED:
            return "connected"
        if call_state == CallState.RECONNECTING:
            return "reconnecting"
        return "connecting"

    def _render_waiting(self) -> None:
        c = self.controller
        waited = None if c.waiting_since is None else time.time() - c.waiting_since
        self.touch.waiting.show_queue(c.queue_position, waited)

    def _render_ended(self) -> None:
        c = self.controller
        seconds = c.seconds_until_home() if c.hub_connected else None
        self.touch.ended.show_ended(c.connection_lost, seconds)
