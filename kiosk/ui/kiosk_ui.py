"""Binds the two kiosk windows to the `KioskController` (the humble view's Qt side)."""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from kiosk.app import KioskController, KioskState
from kiosk.identity import Prompt
from kiosk.materials import CaptureDesk, CaptureState
from kiosk.ui.cases_ui import install_cases_ui
from kiosk.ui.face_window import FaceWindow
from kiosk.ui.maintenance import attach_maintenance
from kiosk.ui.print_page import PrintBanner
from kiosk.ui.rating_page import RatingUi
from kiosk.ui.screens import ScreenPlacer
from kiosk.ui.signature_page import SignaturePage
from kiosk.ui.slips_ui import install_slips_ui
from kiosk.ui.start_ui import StartUi
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
        self.touch.call.read_id_button.clicked.connect(controller.read_id_card)
        self.touch.card_prompt.cancel_button.clicked.connect(controller.idcard.cancel)
        self.touch.card_prompt.manual_button.clicked.connect(self._on_manual)
        self.touch.manual_entry.back_button.clicked.connect(controller.idcard.back_to_card)
        self.touch.manual_entry.submit_button.clicked.connect(self._on_manual_submit)
        # Issue 5: the print banner over every page, the signature page for form.sign.
        self.print_banner = PrintBanner()
        self.touch.add_banner(self.print_banner)
        self.signature = SignaturePage(controller.signing, self._spawn)
        self.signature.setObjectName("signaturePage")
        self.touch.add_page(self.signature)
        # Issue 4: the capture page, opened by the officer's 拍摄材料 or the helper's button.
        if controller.capture is not None:
            self._wire_capture(controller.capture)
        else:
            self.touch.call.capture_button.hide()
        # Issue 6: the start pages (matter, checklist) when the hub client speaks HTTP.
        self.start = (
            StartUi(controller, self.touch, self._spawn)
            if hasattr(controller.hub, "get_json")
            else None
        )
        # Issue 7: the technician's maintenance page, a long press on the header, behind a PIN.
        self.maintenance = (
            attach_maintenance(self.touch, self.touch.point_label, controller.health, self._spawn)
            if controller.health is not None
            else None
        )
        # Issue 6: the rating page (好差评) after a call.
        self.rating = (
            RatingUi(controller.rating, self._spawn, self.touch.add_page, self.refresh)
            if controller.rating is not None
            else None
        )
        # Issue 6: 查询办理进度 on the home page, and the matter's checklist when capturing.
        self.cases = install_cases_ui(self, self._spawn)
        # Issue 6: 原件交接 (the helper records the originals' hand-overs at the point).
        self.slips = install_slips_ui(self, self._spawn)
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
        if self.start is not None:
            self.start.begin()
        else:
            self._spawn(self.controller.start_service())

    def _on_cancel(self) -> None:
        self._spawn(self.controller.cancel_waiting())

    def _on_hangup(self) -> None:
        # Disable at once so a second tap does not send a second hang-up.
        self.touch.call.hangup_button.setEnabled(False)
        self._spawn(self.controller.hang_up())

    def _on_home(self) -> None:
        self.controller.go_home()

    def _on_manual(self) -> None:
        self.touch.manual_entry.clear()
        self.controller.idcard.enter_manual()

    def _on_manual_submit(self) -> None:
        page = self.touch.manual_entry
        page.submit_button.setEnabled(False)
        self._spawn(self._submit_manual(page.typed, page.name.text()))

    async def _submit_manual(self, number: str, name: str) -> None:
        page = self.touch.manual_entry
        try:
            problem = await self.controller.idcard.submit_manual(number, name)
        finally:
            page.submit_button.setEnabled(True)
        if problem is not None:
            page.show_error(tr(*problem))
        else:
            page.clear()

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
            if self.rating is not None:
                self.rating.tick()

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
            start_page: QWidget | None = None if self.start is None else self.start.active_page()
            start_page = start_page or self.cases.active_page() or self.slips.active_page()
            self.touch.show_page(start_page or self.touch.home)
            face_key = "idle"
        elif state == KioskState.WAITING:
            self._render_waiting()
            self.touch.show_page(self.touch.waiting)
            face_key = "waiting"
        elif in_call:
            face_key = self._call_status_key()
            self.touch.call.show_call(tr("kiosk", f"face.status.{face_key}"), c.officer_name)
            self.touch.call.hangup_button.setEnabled(True)
            self._render_idcard()
            self._render_signature()
            self._render_capture()
        elif state == KioskState.ENDED:
            self._render_ended()
            rating_page = None if self.rating is None else self.rating.active_page()
            self.touch.show_page(rating_page or self.touch.ended)
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
        self.print_banner.show_state(c.printing, c.signing, in_call)

    def _render_idcard(self) -> None:
        """In a call: the card prompt, the keypad, or the call page with the last result."""
        desk = self.controller.idcard
        message = tr(*desk.message, **desk.message_args) if desk.message else ""
        if desk.prompt is Prompt.CARD:
            self.touch.card_prompt.show_message(message)
            self.touch.show_page(self.touch.card_prompt)
        elif desk.prompt is Prompt.MANUAL:
            self.touch.show_page(self.touch.manual_entry)
        else:
            self.touch.call.show_id_result(message)
            self.touch.show_page(self.touch.call)

    def _render_signature(self) -> None:
        """A form to sign takes the screen once no card prompt or keypad needs it."""
        self.signature.refresh()
        idle = self.touch.current_page() is self.touch.call
        if self.controller.signing.request is not None and idle:
            self.touch.show_page(self.signature)

    def _wire_capture(self, desk: CaptureDesk) -> None:
        self.touch.capture.follow(desk)
        self.touch.call.capture_button.clicked.connect(self._on_open_capture)
        desk.add_listener(self.refresh)

    def _on_open_capture(self) -> None:
        session_id = self.controller.session_id
        if self.controller.capture is not None and session_id is not None:
            self.controller.capture.open(session_id, None)

    def _render_capture(self) -> None:
        """A capture in progress takes the screen once nothing above needs it."""
        desk = self.controller.capture
        if desk is None or desk.state == CaptureState.IDLE:
            return
        self.touch.capture.show_desk(desk)
        if self.touch.current_page() in (self.touch.call, self.touch.capture):
            self.touch.show_page(self.touch.capture)

    def _call_status_key(self) -> str:
        if self.controller.transfer_waiting:
            return "transferring"
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
