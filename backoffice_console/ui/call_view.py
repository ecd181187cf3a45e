"""The call: the resident's video large, the officer's own preview small, status, duration, 挂断."""

from __future__ import annotations

import time

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from backoffice_console.app import format_duration
from backoffice_console.ui.call_tabs import CallTabs
from backoffice_console.ui.case_panel import CasePanel
from backoffice_console.ui.doccam_view import DocCamPane, OutlinedVideoView
from backoffice_console.ui.documents_panel import DocumentsPanel
from backoffice_console.ui.identity_panel import IdentityPanel
from backoffice_console.ui.kiosk_health_strip import KioskHealthStrip
from backoffice_console.ui.materials_panel import MaterialsPanel
from shared.i18n import tr
from shared.protocol import CallState
from shared.ui.video_view import FrameGetter, VideoView

QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum" (not exported by PySide6)
SELF_VIEW = QSize(160, 120)
CALL_BUTTON = QSize(120, 56)
# The side column's starting width; it never goes below what its widest panel needs.
SIDE_WIDTH = 480

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
        self.case = CasePanel()
        self.kiosk_health = KioskHealthStrip()  # issue 7: the kiosk's devices, for the officer
        self.state = CallState.CONNECTING
        self._started: float | None = None
        self._ended = True

        self.remote = OutlinedVideoView(
            placeholder=tr("console", "call.waiting_video"), accessible_name="remote video"
        )
        self.remote.setObjectName("remoteVideo")
        # The document camera floats over the video (picture-in-picture; 拍照 = 拍摄材料).
        self.doccam = DocCamPane(self.remote)
        self.doccam.capture_requested.connect(self.materials.capture_requested)
        self.local = VideoView(placeholder=tr("console", "call.self"), accessible_name="own video")
        self.local.setObjectName("localVideo")
        # Small, in the control bar: the resident's video is what the officer watches.
        self.local.setFixedSize(SELF_VIEW)

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
        self.hangup_button.setMinimumSize(CALL_BUTTON)
        self.hangup_button.clicked.connect(self._hang_up)

        self.tabs = CallTabs()
        self.tabs.add_panel(self.case, "tab.case", self._case_news)
        self.tabs.add_panel(self.identity, "tab.identity", self._identity_news, stretch=False)
        self.tabs.add_panel(self.materials, "tab.materials", self._materials_news)
        self.tabs.add_panel(self.documents, "tab.documents", self._documents_news)
        self._wrap_lists()

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        # The case splitter (name kept) divides the video column from the side column.
        self.case_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.case_splitter.setChildrenCollapsible(False)
        self.case_splitter.addWidget(self._video_column())
        self.case_splitter.addWidget(self._side_column())
        self.case_splitter.setStretchFactor(0, 1)
        self.case_splitter.setStretchFactor(1, 0)
        self.case_splitter.setSizes([10_000, SIDE_WIDTH])
        layout.addWidget(self.case_splitter, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self._apply_state()

    def _video_column(self) -> QWidget:
        """The resident's video (document camera inside it) over the control bar."""
        info = QVBoxLayout()
        info.setSpacing(4)
        info.addWidget(self.peer)
        states = QHBoxLayout()
        states.addWidget(self.status)
        states.addWidget(self.duration)
        states.addStretch(1)
        info.addLayout(states)
        info.addStretch(1)
        own = QVBoxLayout()
        own.setSpacing(2)
        own.addWidget(self.self_label)
        own.addWidget(self.local)
        self._actions = QHBoxLayout()
        self._actions.setSpacing(8)
        self._actions.addWidget(self.hangup_button)
        bar = QFrame()
        bar.setObjectName("callControlBar")
        bar_layout = QHBoxLayout(bar)
        bar_layout.setContentsMargins(0, 4, 0, 0)
        bar_layout.addLayout(own)
        bar_layout.addLayout(info, 1)
        bar_layout.addLayout(self._actions)
        self._actions.setAlignment(Qt.AlignmentFlag.AlignBottom)
        column = QWidget()
        column.setObjectName("callVideoColumn")
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addWidget(self.remote, 1)
        layout.addWidget(bar)
        return column

    def _side_column(self) -> QWidget:
        """The kiosk's device strip (always on screen) over the panels' tabs."""
        column = QWidget()
        column.setObjectName("callSideColumn")
        layout = QVBoxLayout(column)
        layout.setContentsMargins(4, 0, 0, 0)
        layout.addWidget(self.kiosk_health)
        layout.addWidget(self.tabs, 1)
        return column

    def _wrap_lists(self) -> None:
        """Thumbnails wrap into rows and fill the tab (the one-row strips suited a wide column)."""
        for strip in (self.materials.pages, self.documents.items):
            strip.setWrapping(True)
            strip.setResizeMode(QListView.ResizeMode.Adjust)
            strip.setMinimumHeight(strip.minimumHeight())  # keep the panel's own minimum
            strip.setMaximumHeight(QWIDGETSIZE_MAX)

    def add_call_action(self, button: QPushButton) -> None:
        """Put `button` in the control bar, left of 挂断 (e.g. 转接)."""
        button.setMinimumSize(CALL_BUTTON)
        self._actions.insertWidget(self._actions.indexOf(self.hangup_button), button)

    def show_panel(self, panel: QWidget) -> None:
        """Bring the tab holding `panel` (self.case, .identity, .materials, .documents) forward."""
        self.tabs.show_panel(panel)

    def _case_news(self) -> tuple[object, int]:
        view = self.case.view
        return (view.case_no, view.state, len(view.timeline)), len(view.timeline)

    def _identity_news(self) -> tuple[object, int]:
        if self.identity.view.identity is None:
            return None, 0
        return self.identity.number.text(), 1

    def _materials_news(self) -> tuple[object, int]:
        pages = self.materials.view.pages
        return tuple((p.material_id, p.rejected) for p in pages), len(pages)

    def _documents_news(self) -> tuple[object, int]:
        return tuple(self.documents.row_texts()), self.documents.items.count()

    def set_sources(self, remote: FrameGetter | None, local: FrameGetter | None) -> None:
        """Where the two videos take their newest frames from."""
        self.doccam.set_remote(remote)
        self.local.set_frame_source(local)

    def set_doccam_source(self, doccam: FrameGetter | None) -> None:
        """Where the kiosk's document-camera preview comes from."""
        self.doccam.set_doccam(doccam)

    def start_call(self, peer_name: str, started_monotonic: float | None = None) -> None:
        """Show a new call with the resident's service point `peer_name`."""
        self._ended = False
        self._started = time.monotonic() if started_monotonic is None else started_monotonic
        self.peer.setText(tr("console", "call.peer", name=peer_name))
        self.doccam.reset()
        self.remote.clear()
        self.hangup_button.setEnabled(True)
        self.set_state(CallState.CONNECTING)
        self._tick()
        self._timer.start()
        self.tabs.show_panel(self.case)
        self.tabs.follow(True)

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
        self.tabs.follow(False)
        self.hangup_button.setEnabled(False)
        self.remote.set_overlay_text(None)
        self.doccam.reset()
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
