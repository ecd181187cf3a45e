"""The call: the resident's video large, the officer's own preview small, status, duration, 挂断."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from backoffice_console.app import format_duration
from backoffice_console.ui.documents_panel import DocumentsPanel
from backoffice_console.ui.identity_panel import IdentityPanel
from backoffice_console.ui.materials_panel import MaterialsPanel
from shared.i18n import tr
from shared.protocol import CallState
from shared.ui.video_view import FrameGetter, VideoView

STATE_COLOURS = {
    CallState.CONNECTING: "#8a5a00",
    CallState.CONNECTED: "#1b7f3b",
    CallState.RECONNECTING: "#d9480f",
}


class CallView(QWidget):
    """Shows one call; emits `hangup_requested` when 挂断 is clicked."""

    hangup_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:  # noqa: PLR0915 - widget layout
        super().__init__(parent)
        self.identity = IdentityPanel()
        self.materials = MaterialsPanel()
        self.documents = DocumentsPanel()
        self.state = CallState.CONNECTING
        self._started: float | None = None
        self._ended = True

        self.remote = VideoView(
            placeholder=tr("console", "call.waiting_video"), accessible_name="remote video"
        )
        self.remote.setObjectName("remoteVideo")
        self.local = VideoView(placeholder=tr("console", "call.self"), accessible_name="own video")
        self.local.setObjectName("localVideo")
        # Small enough that the identity panel above it never gets squeezed at 1200x790.
        self.local.setFixedSize(224, 168)

        self.peer = QLabel("")
        self.peer.setObjectName("peerName")
        self.peer.setWordWrap(True)
        self.peer.setProperty("role", "title")
        self.status = QLabel("")
        self.status.setObjectName("callStatus")
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.duration = QLabel("")
        self.duration.setObjectName("callDuration")
        self.duration.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.self_label = QLabel(tr("console", "call.self"))
        self.self_label.setProperty("role", "muted")

        self.hangup_button = QPushButton(tr("console", "call.hangup"))
        self.hangup_button.setObjectName("hangupButton")
        self.hangup_button.setProperty("role", "danger")
        self.hangup_button.setAccessibleName(tr("console", "call.hangup"))
        self.hangup_button.setMinimumHeight(56)
        self.hangup_button.clicked.connect(self._hang_up)

        side = QVBoxLayout()
        side.setSpacing(12)
        side.addWidget(self.peer)
        side.addWidget(self.status)
        side.addWidget(self.duration)
        side.addWidget(self.identity)
        side.addWidget(self.materials)
        side.addStretch(1)
        side.addWidget(self.self_label)
        side.addWidget(self.local)
        side.addSpacing(8)
        side.addWidget(self.hangup_button)
        side_box = QWidget()
        side_box.setLayout(side)
        side_box.setFixedWidth(340)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        # The documents strip sits under the video: the side column is full.
        main_column = QVBoxLayout()
        main_column.addWidget(self.remote, 1)
        main_column.addWidget(self.documents)
        layout.addLayout(main_column, 1)
        layout.addWidget(side_box)

        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self._apply_state()

    def set_sources(self, remote: FrameGetter | None, local: FrameGetter | None) -> None:
        """Where the two videos take their newest frames from."""
        self.remote.set_frame_source(remote)
        self.local.set_frame_source(local)

    def start_call(self, peer_name: str, started_monotonic: float | None = None) -> None:
        """Show a new call with the resident's service point `peer_name`."""
        self._ended = False
        self._started = time.monotonic() if started_monotonic is None else started_monotonic
        self.peer.setText(tr("console", "call.peer", name=peer_name))
        self.remote.clear()
        self.hangup_button.setEnabled(True)
        self.set_state(CallState.CONNECTING)
        self._tick()
        self._timer.start()

    def set_state(self, state: CallState) -> None:
        """连接中 / 通话中 / 正在重新连接 (with an overlay on the video while reconnecting)."""
        self.state = state
        self._apply_state()

    def status_text(self) -> str:
        """The status line as shown."""
        return self.status.text()

    def end_call(self) -> None:
        """Stop the clock and disable 挂断 (the window goes back to the queue)."""
        self._ended = True
        self._timer.stop()
        self.hangup_button.setEnabled(False)
        self.remote.set_overlay_text(None)
        self.remote.clear()

    def _apply_state(self) -> None:
        self.status.setText(tr("console", f"call.state.{self.state.value}"))
        colour = STATE_COLOURS[self.state]
        self.status.setStyleSheet(
            f"color: white; background-color: {colour}; border-radius: 6px;"
            " padding: 8px; font-size: 20px; font-weight: bold;"
        )
        overlay = (
            tr("console", "call.reconnecting_overlay")
            if self.state is CallState.RECONNECTING
            else None
        )
        self.remote.set_overlay_text(overlay)

    def _tick(self) -> None:
        if self._started is None:
            self.duration.setText("")
            return
        elapsed = time.monotonic() - self._started
        self.duration.setText(tr("console", "call.duration", duration=format_duration(elapsed)))

    def _hang_up(self) -> None:
        if not self._ended:
            self.hangup_button.setEnabled(False)
            self.hangup_requested.emit()
