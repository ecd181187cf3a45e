"""The resident-facing screen: the officer's video large, the own camera small, a status line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from shared.i18n import tr
from shared.ui.video_view import VideoView


class _VideoStage(QWidget):
    """The remote video filling the stage with the self view pinned to its lower right corner."""

    def __init__(self, remote: VideoView, local: VideoView) -> None:
        super().__init__()
        self.remote = remote
        self.local = local
        remote.setParent(self)
        local.setParent(self)
        local.raise_()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Keep the self view at a quarter of the width, 4:3, in the corner."""
        super().resizeEvent(event)
        self.remote.setGeometry(self.rect())
        width = max(160, self.width() // 4)
        height = width * 3 // 4
        margin = 16
        self.local.setGeometry(
            self.width() - width - margin, self.height() - height - margin, width, height
        )


class FaceWindow(QWidget):
    """Top-level window for the face screen."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("faceWindow")
        self.setWindowTitle(tr("kiosk", "window.face"))
        self.remote_view = VideoView(
            placeholder=tr("kiosk", "face.waiting_video"),
            accessible_name=tr("kiosk", "face.remote"),
        )
        self.local_view = VideoView(
            placeholder=tr("kiosk", "face.local"), accessible_name=tr("kiosk", "face.local")
        )
        self.local_view.setMinimumSize(160, 120)
        self.status_label = QLabel()
        self.status_label.setProperty("role", "title")
        self.status_label.setAccessibleName("status")
        self.officer_label = QLabel()
        self.officer_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        bar = QWidget()
        bar.setObjectName("faceStatusBar")
        bar_layout = QHBoxLayout(bar)
        bar_layout.setContentsMargins(24, 12, 24, 12)
        bar_layout.addWidget(self.status_label, 1)
        bar_layout.addWidget(self.officer_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(bar)
        layout.addWidget(_VideoStage(self.remote_view, self.local_view), 1)

    def set_frame_sources(
        self, remote: Callable[[], Any] | None, local: Callable[[], Any] | None
    ) -> None:
        """Where the two views take their frames from."""
        self.remote_view.set_frame_source(remote)
        self.local_view.set_frame_source(local)

    def show_status(
        self, status_key: str, officer: str | None, *, reconnecting: bool, in_call: bool
    ) -> None:
        """Status line text (a `face.status.*` key), officer name, and the video overlay."""
        self.status_label.setText(tr("kiosk", f"face.status.{status_key}"))
        self.officer_label.setText(tr("kiosk", "call.officer", name=officer) if officer else "")
        self.remote_view.set_overlay_text(
            tr("kiosk", "face.reconnecting") if reconnecting else None
        )
        if not in_call:
            self.remote_view.clear()
