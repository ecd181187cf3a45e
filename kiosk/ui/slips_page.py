"""原件交接 at the kiosk: the slip's code (scanned or typed), three big hop buttons, the answer.

The helper lays the transmittal slip under the document camera (扫描交接单) or
types its number on the keypad (`LZ-SL` and the dash are filled in), then presses
the hand-over step. The line under the buttons says which step was recorded, or
why the hub refused it (where the originals are and the step expected next).
Everything follows a `SlipDesk`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kiosk.slips import KIOSK_HOPS, SlipDesk
from kiosk.ui.widgets import touch_button, touch_label
from shared.i18n import tr

KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "back")
_COLOURS = {"busy": "#495057", "error": "#c92a2a", "done": "#1b7f3b", "notice": "#1c5fa8"}
_FIELD_STYLE = (
    "font-size: 30px; padding: 2px 16px; min-height: 52px; border: 3px solid #1c7ed6;"
    " border-radius: 10px; background: white; color: #1a1a1a;"
)


def _t(key: str, **fmt: object) -> str:
    return tr("slips", key, **fmt)


class SlipsPage(QWidget):
    """The hand-over page; emits `scan_requested`, `hop_requested(hop)` and `back_requested`."""

    scan_requested = Signal()
    hop_requested = Signal(str)
    back_requested = Signal()

    def __init__(self) -> None:  # noqa: PLR0915 - widget layout
        super().__init__()
        self.setObjectName("slipsPage")
        self.title = touch_label(_t("title"), "title")
        self.hint = touch_label(_t("hint"), "muted")
        self.code_label = QLabel(_t("code"))
        self.code_label.setStyleSheet("font-size: 22px;")
        self.code_field = QLabel("")
        self.code_field.setObjectName("slipCodeField")
        self.code_field.setStyleSheet(_FIELD_STYLE)
        keypad_box = QWidget()
        keypad = QGridLayout(keypad_box)
        keypad.setContentsMargins(0, 0, 0, 0)
        keypad.setSpacing(6)
        self.key_buttons: dict[str, QPushButton] = {}
        for index, key in enumerate(KEYS):
            text = {"back": "⌫", "clear": "C"}.get(key, key)
            button = touch_button(text, height=60, width=120, name=f"slipKey_{key}")
            button.setStyleSheet("font-size: 32px; font-weight: bold; min-height: 56px;")
            self.key_buttons[key] = button
            keypad.addWidget(button, index // 3, index % 3)
        self.scan_button = touch_button(_t("scan"), "secondary", 72, name="slipScanButton")
        self.hop_buttons: dict[str, QPushButton] = {}
        for hop in KIOSK_HOPS:
            button = touch_button(_t(f"hop.{hop}"), height=84, name=f"hop_{hop}")
            button.setMinimumWidth(420)
            button.clicked.connect(lambda _=False, h=hop: self.hop_requested.emit(h))
            self.hop_buttons[hop] = button
        self.message = touch_label("")
        self.message.setObjectName("slipMessage")
        self.message.setStyleSheet("font-size: 26px; font-weight: bold;")
        self.back_button = touch_button(_t("back"), "secondary", 72, name="slipsBackButton")
        self.back_button.setMinimumWidth(260)

        left = QVBoxLayout()
        left.setSpacing(6)
        left.addWidget(self.code_label)
        left.addWidget(self.code_field)
        left.addWidget(keypad_box)
        left.addStretch(1)
        right = QVBoxLayout()
        right.setSpacing(12)
        right.addWidget(self.scan_button)
        for button in self.hop_buttons.values():
            right.addWidget(button)
        right.addStretch(1)
        middle = QHBoxLayout()
        middle.setSpacing(40)
        middle.addLayout(left, 1)
        middle.addLayout(right, 1)
        # The answer beside the back button: the page fits the 720-high touch screen.
        bottom = QHBoxLayout()
        bottom.setSpacing(24)
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.back_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(40, 8, 40, 12)
        column.setSpacing(6)
        column.addWidget(self.title)
        column.addWidget(self.hint)
        column.addLayout(middle, 1)
        column.addLayout(bottom)
        self.scan_button.clicked.connect(self.scan_requested.emit)
        self.back_button.clicked.connect(self.back_requested.emit)

    def follow(self, desk: SlipDesk) -> None:
        """Keypad acts on `desk`; the page shows it after every change."""
        for key, button in self.key_buttons.items():
            if key == "clear":
                button.clicked.connect(desk.clear)
            else:
                button.clicked.connect(lambda _=False, k=key: desk.key(k))
        desk.listeners.append(lambda: self.show_desk(desk))
        self.show_desk(desk)

    def show_desk(self, desk: SlipDesk) -> None:
        """Show the code, which buttons work now, and the message."""
        self.code_field.setText(desk.code + ("" if desk.scanned else "▏"))
        ready = desk.ready() and not desk.busy
        for button in self.hop_buttons.values():
            button.setEnabled(ready)
        self.scan_button.setEnabled(not desk.busy)
        text, kind = desk.message()
        self.message.setText(text)
        colour = _COLOURS.get(kind, "#495057")
        self.message.setStyleSheet(f"font-size: 26px; font-weight: bold; color: {colour};")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
