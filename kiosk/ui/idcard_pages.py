"""Touch-screen pages for ID cards: the card prompt (with a picture of how) and manual entry.

The pages only show things and expose their buttons; `KioskUi` wires them to the
controller's `IdCardDesk`. The manual entry page never shows a full number:
while typing, the middle digits are masked like everywhere else.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.ui.widgets import touch_button
from shared.i18n import tr

MAX_NUMBER_CHARS = 18


def masked_typing(typed: str) -> str:
    """What the number field shows while typing: first 6 and last 4 visible, `*` between."""
    if len(typed) <= 10:
        return typed
    return typed[:6] + "*" * (len(typed) - 10) + typed[-4:]


class CardOnReaderPicture(QWidget):
    """A drawing of an ID card laid flat on the reader, with an arrow pointing down."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("cardPicture")
        self.setMinimumSize(360, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(tr("kiosk", "idcard.prompt.picture"))

    def paintEvent(self, event: QPaintEvent) -> None:
        """Reader base, sensing area, the card above it and an arrow."""
        del event
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = float(self.width()), float(self.height())
        scale = min(w / 360.0, h / 240.0)
        p.translate((w - 360 * scale) / 2, (h - 240 * scale) / 2)
        p.scale(scale, scale)
        # The reader: a dark box with a lighter sensing area and a green light.
        p.setPen(QPen(QColor("#343a40"), 2))
        p.setBrush(QColor("#495057"))
        p.drawRoundedRect(QRectF(60, 150, 240, 70), 14, 14)
        p.setBrush(QColor("#adb5bd"))
        p.drawRoundedRect(QRectF(95, 160, 170, 40), 8, 8)
        p.setBrush(QColor("#2f9e44"))
        p.drawEllipse(QPointF(280, 185), 6, 6)
        # The card, hovering over the sensing area: photo on the right as on the real card.
        p.setPen(QPen(QColor("#1864ab"), 2))
        p.setBrush(QColor("#e7f5ff"))
        p.drawRoundedRect(QRectF(105, 20, 150, 94), 8, 8)
        p.setBrush(QColor("#a5d8ff"))
        p.drawRect(QRectF(205, 34, 38, 48))
        p.setPen(QPen(QColor("#1c7ed6"), 4))
        for y in (40.0, 56.0, 72.0, 88.0):
            p.drawLine(QPointF(118, y), QPointF(190 if y < 88 else 240, y))
        # The arrow from card to reader.
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#e8590c"))
        p.drawRect(QRectF(174, 116, 12, 22))
        p.drawPolygon(QPolygonF([QPointF(164, 136), QPointF(196, 136), QPointF(180, 152)]))
        p.end()


class CardPromptPage(QWidget):
    """请将身份证放在读卡区: the picture, a message line, 手动输入 and 取消."""

    def __init__(self) -> None:
        super().__init__()
        self.title = QLabel(tr("kiosk", "idcard.prompt.title"))
        self.title.setObjectName("cardPromptTitle")
        self.title.setProperty("role", "title")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture = CardOnReaderPicture()
        self.message = QLabel(tr("kiosk", "idcard.prompt.hint"))
        self.message.setObjectName("cardPromptMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.manual_button = touch_button(tr("kiosk", "idcard.manual"), None, 88, width=240)
        self.manual_button.setObjectName("manualEntryButton")
        self.cancel_button = touch_button(tr("kiosk", "idcard.cancel"), None, 88, width=240)
        self.cancel_button.setObjectName("cardCancelButton")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.manual_button)
        buttons.addSpacing(24)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(48, 24, 48, 32)
        column.setSpacing(16)
        column.addWidget(self.title)
        column.addWidget(self.picture, 1)
        column.addWidget(self.message)
        column.addLayout(buttons)

    def show_message(self, text: str) -> None:
        """The hint, or what went wrong."""
        self.message.setText(text)


class ManualEntryPage(QWidget):
    """Number by on-screen keypad (digits and X), name by text field, 确认提交 and 返回读卡."""

    def __init__(self) -> None:
        super().__init__()
        self.typed = ""
        title = QLabel(tr("kiosk", "manual.title"))
        title.setProperty("role", "title")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number = QLabel("")
        self.number.setObjectName("manualNumber")
        self.number.setAccessibleName(tr("kiosk", "manual.number"))
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number.setFont(_number_font(self.number.font()))
        self.number.setMinimumHeight(64)
        self.number.setStyleSheet("border: 2px solid #868e96; border-radius: 8px;")
        hint = QLabel(tr("kiosk", "manual.number_hint"))
        hint.setProperty("role", "muted")
        self.name = QLineEdit()
        self.name.setObjectName("manualName")
        self.name.setPlaceholderText(tr("kiosk", "manual.name_placeholder"))
        self.name.setAccessibleName(tr("kiosk", "manual.name"))
        self.name.setMaxLength(50)
        self.error = QLabel("")
        self.error.setObjectName("manualError")
        self.error.setWordWrap(True)
        self.error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.error.setStyleSheet("color: #c92a2a; font-weight: bold;")
        self.error.setMinimumHeight(64)  # two lines: a wrapped message must not be cut

        grid = self._keypad()

        self.submit_button = touch_button(tr("kiosk", "manual.submit"), None, 88, width=240)
        self.submit_button.setObjectName("manualSubmitButton")
        self.back_button = touch_button(tr("kiosk", "manual.back"), None, 88, width=240)
        self.back_button.setObjectName("manualBackButton")
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.submit_button)

        form = QVBoxLayout()
        form.addWidget(QLabel(tr("kiosk", "manual.number")))
        form.addWidget(self.number)
        form.addWidget(hint)
        form.addWidget(QLabel(tr("kiosk", "manual.name")))
        form.addWidget(self.name)
        form.addWidget(self.error)
        form.addStretch(1)
        form.addLayout(buttons)
        row = QHBoxLayout()
        row.addLayout(form, 3)
        row.addSpacing(24)
        row.addLayout(grid, 2)
        column = QVBoxLayout(self)
        column.setContentsMargins(32, 16, 32, 24)
        column.addWidget(title)
        column.addLayout(row, 1)

    def _keypad(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setSpacing(8)
        self.keys: dict[str, QPushButton] = {}
        labels = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "X", "0", "⌫"]
        for i, key in enumerate(labels):
            button = QPushButton(key)
            button.setMinimumSize(96, 72)
            button.setAccessibleName(tr("kiosk", "manual.delete") if key == "⌫" else key)
            button.clicked.connect(lambda _=False, k=key: self.press(k))
            grid.addWidget(button, i // 3, i % 3)
            self.keys[key] = button
        self.clear_button = QPushButton(tr("kiosk", "manual.clear"))
        self.clear_button.setMinimumHeight(72)
        self.clear_button.clicked.connect(self.clear)
        grid.addWidget(self.clear_button, 4, 0, 1, 3)
        return grid

    def press(self, key: str) -> None:
        """One keypad key: a digit or X appends (up to 18), ⌫ deletes the last."""
        if key == "⌫":
            self.typed = self.typed[:-1]
        elif len(self.typed) < MAX_NUMBER_CHARS:
            self.typed += key
        self.error.setText("")
        self.number.setText(masked_typing(self.typed))

    def clear(self) -> None:
        """Empty both fields."""
        self.typed = ""
        self.name.clear()
        self.number.setText("")
        self.error.setText("")

    def show_error(self, text: str) -> None:
        """Why the entry was not accepted."""
        self.error.setText(text)


def _number_font(base: QFont) -> QFont:
    big = QFont(base)
    big.setPointSize(max(big.pointSize(), 12) * 2)
    big.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 3)
    return big
