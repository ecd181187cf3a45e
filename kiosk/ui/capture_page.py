"""The touch screen's capture page: live preview of the document camera with the page outlined.

Shown while a capture is requested (the officer's 拍摄材料, or the helper's button on
the call page). It shows what `CaptureDesk` knows and nothing more: the preview with
the corners the desk found (green when the frame is fine, amber when not), the
officer's retake reason, the current check message (未检测到材料 / 图像模糊 /
材料超出画面 / 反光), a big 拍摄 button, 再拍一页 / 完成 / 取消, and this call's pages
with 待上传 / 已送达. `KioskUi` connects the buttons to the desk.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.materials import PENDING, SENT, CaptureDesk, CaptureState, OutboxPage
from shared.i18n import tr
from shared.ui.video_view import VideoView

OK_COLOUR = QColor("#2fb344")
PROBLEM_COLOUR = QColor("#f59f00")
OK_TEXT = "#1b7f3b"
STATE_COLOURS = {PENDING: "#8a5a00", SENT: "#1b7f3b"}


class CapturePreview(VideoView):
    """The document camera's preview with the detected page drawn over it."""

    def __init__(self) -> None:
        super().__init__(
            placeholder=tr("kiosk", "capture.preview_waiting"),
            accessible_name=tr("kiosk", "capture.preview"),
        )
        self.setObjectName("capturePreview")
        self._outline: np.ndarray | None = None
        self._frame_size: tuple[int, int] | None = None
        self._outline_ok = False

    def set_outline(
        self, corners: np.ndarray | None, frame_size: tuple[int, int] | None, *, ok: bool
    ) -> None:
        """The page's four corners (4 x 2, in pixels of a `frame_size` (w, h) frame), or None."""
        changed = (
            (corners is None) != (self._outline is None)
            or (corners is not None and not np.array_equal(corners, self._outline))
            or ok != self._outline_ok
        )
        self._outline = None if corners is None else np.asarray(corners, dtype=np.float64)
        self._frame_size = frame_size
        self._outline_ok = ok
        if changed:
            self.update()

    def outline(self) -> np.ndarray | None:
        """The corners drawn now (frame pixels), or None."""
        return self._outline

    def outline_in_widget(self) -> list[QPointF]:
        """The outline as drawn, in widget coordinates (empty when none is drawn)."""
        if self._outline is None or self._frame_size is None or not self.has_frame():
            return []
        width, height = self._frame_size
        target = self._target(QSize(width, height))
        sx, sy = target.width() / max(1, width), target.height() / max(1, height)
        return [QPointF(target.x() + x * sx, target.y() + y * sy) for x, y in self._outline]

    def _target(self, size: QSize) -> QRect:
        # The same letterbox as VideoView paints the frame into.
        scaled = size.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - scaled.width()) // 2
        y = (self.height() - scaled.height()) // 2
        return QRect(x, y, scaled.width(), scaled.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        """The frame (VideoView), then the page outline."""
        super().paintEvent(event)
        points = self.outline_in_widget()
        if not points:
            return
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            colour = OK_COLOUR if self._outline_ok else PROBLEM_COLOUR
            painter.setPen(QPen(colour, 5))
            fill = QColor(colour)
            fill.setAlpha(40)
            painter.setBrush(fill)
            painter.drawPolygon(QPolygonF(points))
        finally:
            painter.end()


def _button(text: str, name: str, role: str | None = None) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setAccessibleName(text)
    button.setMinimumHeight(96)  # an elderly finger
    button.setMinimumWidth(200)
    if role:
        button.setProperty("role", role)
    return button


class CapturePage(QWidget):
    """Preview, messages, buttons and the page list (see module docstring)."""

    def __init__(self) -> None:  # noqa: PLR0915 - widget layout
        super().__init__()
        self.setObjectName("capturePage")
        self.title = QLabel(tr("kiosk", "capture.title"))
        self.title.setProperty("role", "title")
        self.reason = QLabel("")
        self.reason.setObjectName("captureReason")
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet(
            "background-color: #fff3bf; color: #5c3c00; border-radius: 8px; padding: 8px 16px;"
            " font-weight: bold;"
        )
        self.message = QLabel("")
        self.message.setObjectName("captureMessage")
        self.message.setProperty("role", "huge")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.preview = CapturePreview()

        self.pages_title = QLabel(tr("kiosk", "capture.pages"))
        self.pages_title.setProperty("role", "muted")
        self.pages = QListWidget()
        self.pages.setObjectName("capturePages")
        self.pages.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.pages.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.pages.setFixedWidth(280)
        self.pages.setStyleSheet("QListWidget::item { padding: 10px; font-size: 22px; }")

        self.capture_button = _button(tr("kiosk", "capture.take"), "captureButton")
        self.capture_button.setMinimumWidth(320)
        self.capture_button.setMinimumHeight(120)
        self.again_button = _button(tr("kiosk", "capture.again"), "againButton")
        self.done_button = _button(tr("kiosk", "capture.done"), "doneButton", "secondary")
        self.cancel_button = _button(tr("kiosk", "capture.cancel"), "cancelCaptureButton",
                                     "secondary")  # fmt: skip

        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.reason, 1)
        side = QVBoxLayout()
        side.addWidget(self.pages_title)
        side.addWidget(self.pages, 1)
        middle = QHBoxLayout()
        middle.setSpacing(16)
        middle.addWidget(self.preview, 1)
        middle.addLayout(side)
        buttons = QHBoxLayout()
        buttons.setSpacing(24)
        buttons.addStretch(1)
        for button in (self.capture_button, self.again_button, self.done_button,
                       self.cancel_button):  # fmt: skip
            buttons.addWidget(button)
        buttons.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(32, 16, 32, 24)
        column.setSpacing(12)
        column.addLayout(head)
        column.addLayout(middle, 1)
        column.addWidget(self.message)
        column.addLayout(buttons)
        self.reason.hide()

    def follow(self, desk: CaptureDesk) -> None:
        """Show `desk`: its camera's preview, its changes, and the buttons acting on it."""
        self.preview.set_frame_source(desk.preview_frame)
        self.capture_button.clicked.connect(desk.capture_now)
        self.again_button.clicked.connect(desk.again)
        # 完成 and 取消 both leave the page; an open command is reported cancelled.
        self.done_button.clicked.connect(desk.cancel)
        self.cancel_button.clicked.connect(desk.cancel)
        desk.add_listener(lambda: self.show_desk(desk))
        self.show_desk(desk)

    def show_desk(self, desk: CaptureDesk) -> None:
        """Show what the desk knows now."""
        state = desk.state
        self.reason.setText(tr("kiosk", f"capture.retake.{desk.reason}") if desk.reason else "")
        self.reason.setVisible(bool(desk.reason))
        if desk.message is not None:
            message = tr(*desk.message)
        elif state == CaptureState.PREVIEW:
            message = tr("kiosk", "capture.place")
        else:
            message = ""
        self.message.setText(message)
        good = state == CaptureState.CAPTURED or (
            state == CaptureState.PREVIEW
            and (desk.flatbed or (desk.check is not None and desk.check.ok))
        )
        # Green when all is well, the theme's alert colour for a problem or a failure.
        sheet = f"color: {OK_TEXT};" if good else ""
        if self.message.styleSheet() != sheet:  # restyling is not free at 10 Hz
            self.message.setStyleSheet(sheet)
        check = desk.check if state in (CaptureState.PREVIEW, CaptureState.SAVING) else None
        frame = desk.preview_frame()
        if check is not None and check.corners is not None and frame is not None:
            size = (int(frame.shape[1]), int(frame.shape[0]))
            self.preview.set_outline(check.corners.as_array(), size, ok=check.ok)
        else:
            self.preview.set_outline(None, None, ok=False)
        take = tr("kiosk", "capture.scan" if desk.flatbed else "capture.take")
        if self.capture_button.text() != take:
            self.capture_button.setText(take)
        self.capture_button.setVisible(state in (CaptureState.PREVIEW, CaptureState.SAVING))
        self.capture_button.setEnabled(state == CaptureState.PREVIEW)
        self.again_button.setVisible(state == CaptureState.CAPTURED)
        self.done_button.setVisible(state == CaptureState.CAPTURED)
        self.cancel_button.setVisible(state != CaptureState.CAPTURED)
        self.cancel_button.setEnabled(state != CaptureState.SAVING)
        self.show_pages(desk.pages)

    def show_pages(self, pages: list[OutboxPage]) -> None:
        """This call's pages, numbered in capture order, with 待上传 / 已送达."""
        rows = [self.page_text(n, page) for n, page in enumerate(pages, start=1)]
        if not rows:
            rows = [(tr("kiosk", "capture.pages_none"), None)]
        current = [self.pages.item(i).text() for i in range(self.pages.count())]
        if current == [text for text, _ in rows]:
            return
        self.pages.clear()
        for text, colour in rows:
            item = QListWidgetItem(text)
            if colour is not None:
                item.setForeground(QColor(colour))
            self.pages.addItem(item)

    @staticmethod
    def page_text(number: int, page: OutboxPage) -> tuple[str, str | None]:
        """One row of the list: "第1页  已送达" and its colour."""
        state = tr("kiosk", f"capture.state.{page.state}")
        text = f"{tr('kiosk', 'capture.page', n=number)}  {state}"
        return text, STATE_COLOURS.get(page.state, "#c92a2a")

    def page_rows(self) -> list[str]:
        """The list's rows as shown (for tests and the autopilot)."""
        return [self.pages.item(i).text() for i in range(self.pages.count())]
