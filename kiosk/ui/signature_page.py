"""The signature screen: the form page, a signature pad, 清除 / 重签 / 确认 and 无法签名.

`SignaturePad` records finger or mouse strokes as points in 0..1 (x right, y
down) and draws them; `SignaturePage` shows the form page rendered by the kiosk
(`SignDesk.request.page_png`), the pad and the buttons, and hands the strokes to
the desk through `spawn` (the qasync loop). What the desk says (an empty
signature, a failure) is shown in the message line.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import (
    QColor,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.signing import SignDesk
from shared.i18n import tr

Spawn = Callable[[Coroutine[Any, Any, Any]], Any]


class SignaturePad(QWidget):
    """A white box that records strokes (press, move, release) and draws them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.strokes: list[list[tuple[float, float]]] = []
        self._drawing = False
        self.setMinimumSize(480, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(tr("kiosk", "sign.title"))
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)

    def _point(self, pos: QPointF) -> tuple[float, float]:
        w, h = max(1, self.width()), max(1, self.height())
        return (min(max(pos.x() / w, 0.0), 1.0), min(max(pos.y() / h, 0.0), 1.0))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Start a stroke."""
        if event.button() == Qt.MouseButton.LeftButton:
            self._drawing = True
            self.strokes.append([self._point(event.position())])
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Extend the stroke."""
        if self._drawing and self.strokes:
            self.strokes[-1].append(self._point(event.position()))
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """End the stroke."""
        if self._drawing and self.strokes:
            self.strokes[-1].append(self._point(event.position()))
        self._drawing = False
        self.update()

    def clear(self) -> None:
        """Forget every stroke."""
        self.strokes.clear()
        self.update()

    @property
    def empty(self) -> bool:
        """No stroke has a point."""
        return not any(self.strokes)

    def paintEvent(self, _event: QPaintEvent) -> None:
        """White box, a base line, and the ink."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        painter.setPen(QPen(QColor("#9aa5b1"), 1, Qt.PenStyle.DashLine))
        base = int(self.height() * 0.8)
        painter.drawLine(16, base, self.width() - 16, base)
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        pen = QPen(QColor("#0d1a59"), 3)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        w, h = self.width(), self.height()
        for stroke in self.strokes:
            points = [QPointF(x * w, y * h) for x, y in stroke]
            if len(points) == 1:
                painter.drawPoint(points[0])
            for a, b in itertools.pairwise(points):
                painter.drawLine(a, b)
        painter.end()


class SignaturePage(QWidget):
    """The form page and the pad; buttons act on `desk` through `spawn`."""

    def __init__(self, desk: SignDesk, spawn: Spawn, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self._spawn = spawn
        layout = QVBoxLayout(self)
        self.title = QLabel(tr("kiosk", "sign.title"))
        self.title.setObjectName("pageTitle")
        layout.addWidget(self.title)
        self.page = QLabel()
        self.page.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # Small minimum: the page, pad, buttons and the print banner fit a 720-px screen.
        self.page.setMinimumHeight(120)
        self._source = QPixmap()
        layout.addWidget(self.page, 2)
        self.pad = SignaturePad()
        layout.addWidget(self.pad, 1)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("hint")
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        self.clear_button = QPushButton(tr("kiosk", "sign.clear"))
        self.redo_button = QPushButton(tr("kiosk", "sign.redo"))
        self.confirm_button = QPushButton(tr("kiosk", "sign.confirm"))
        self.confirm_button.setObjectName("primary")
        for button in (self.clear_button, self.redo_button, self.confirm_button):
            button.setMinimumHeight(64)
            buttons.addWidget(button)
        layout.addLayout(buttons)
        cannot = QHBoxLayout()
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(tr("kiosk", "sign.reason_placeholder"))
        self.cannot_button = QPushButton(tr("kiosk", "sign.cannot"))
        cannot.addWidget(self.reason, 1)
        cannot.addWidget(self.cannot_button)
        layout.addLayout(cannot)
        self.clear_button.clicked.connect(self.pad.clear)
        self.redo_button.clicked.connect(self._redo)
        self.confirm_button.clicked.connect(self._confirm)
        self.cannot_button.clicked.connect(self._cannot)
        self._shown: bytes | None = None
        self.refresh()

    def _redo(self) -> None:
        self.pad.clear()
        self.desk.message = ("kiosk", "sign.prompt")
        self.refresh()

    def _confirm(self) -> None:
        if self.pad.empty:
            # Refused here already: nothing is sent for a blank pad.
            self.desk.message = ("kiosk", "sign.empty")
            self.refresh()
            return
        strokes = [list(s) for s in self.pad.strokes]
        self._spawn(self.desk.submit(strokes))

    def _cannot(self) -> None:
        self._spawn(self.desk.cannot_sign(self.reason.text()))

    def _fit_page(self) -> None:
        """Scale the form page to the room the layout gives it."""
        if not self._source.isNull():
            self.page.setPixmap(
                self._source.scaledToHeight(
                    max(120, self.page.height() - 8), Qt.TransformationMode.SmoothTransformation
                )
            )

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Refit the form page when the page gets its real size."""
        super().resizeEvent(event)
        self._fit_page()

    def refresh(self) -> None:
        """Show the desk's form and message (call after every desk change)."""
        request = self.desk.request
        png = request.page_png if request is not None else None
        if png is not None and png is not self._shown:
            self._source = QPixmap()
            self._source.loadFromData(png, "PNG")
            self._fit_page()
            self.pad.clear()
            self.reason.clear()
            self._shown = png
        if request is not None:
            self.title.setText(f"{request.title} · {request.label}")
        message = self.desk.message
        self.message.setText(tr(message[0], message[1]) if message else "")
        enabled = request is not None and not self.desk.busy
        for button in (self.confirm_button, self.cannot_button):
            button.setEnabled(enabled)
