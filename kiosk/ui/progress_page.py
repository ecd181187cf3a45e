"""查询办理进度 at the kiosk: two big fields, an on-screen keypad, a QR scan, and the answer.

The resident taps 案件编号 or 身份证号后4位 and types on the keypad (the `SL`
prefix and the dash are filled in); 扫描回执二维码 reads the number from the
receipt under the document camera. The answer shows the state, the matter, the
public timeline and where the originals are. Everything follows a `ProgressDesk`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.progress import ProgressDesk
from kiosk.ui.widgets import touch_button
from shared.i18n import tr
from shared.protocol.cases import Progress

KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "X", "0", "back")
_FIELD_STYLE = (
    "QPushButton { font-size: 32px; padding: 4px 20px; min-height: 60px; text-align: left;"
    " border: 3px solid %s; border-radius: 10px; background: white; color: #1a1a1a; }"
)


def _t(key: str, **fmt: object) -> str:
    return tr("cases", key, **fmt)


class ProgressPage(QWidget):
    """The look-up page; emits `scan_requested`, `query_requested` and `back_requested`."""

    scan_requested = Signal()
    query_requested = Signal()
    back_requested = Signal()

    def __init__(self) -> None:  # noqa: PLR0915 - widget layout
        super().__init__()
        self.setObjectName("progressPage")
        self.title = QLabel(_t("progress.title"))
        self.title.setProperty("role", "title")
        self.hint = QLabel(_t("progress.hint"))
        self.hint.setWordWrap(True)
        self.hint.setProperty("role", "muted")
        self.case_field = touch_button("", height=72, name="caseNoField")
        self.last4_field = touch_button("", height=72, name="last4Field")
        self.case_label = QLabel(_t("progress.case_no"))
        self.last4_label = QLabel(_t("progress.last4"))
        for label in (self.case_label, self.last4_label):
            label.setStyleSheet("font-size: 22px;")
        keypad_box = QWidget()
        self.keypad = QGridLayout(keypad_box)
        self.keypad.setContentsMargins(0, 0, 0, 0)
        self.keypad.setSpacing(8)
        self.key_buttons: dict[str, QPushButton] = {}
        for index, key in enumerate(KEYS):
            text = "⌫" if key == "back" else key
            button = touch_button(text, height=66, name=f"key_{key}")
            button.setMinimumWidth(130)
            button.setStyleSheet(
                "font-size: 34px; font-weight: bold; min-height: 62px; padding: 0;"
            )
            self.key_buttons[key] = button
            self.keypad.addWidget(button, index // 3, index % 3)
        self.scan_button = touch_button(_t("progress.scan"), "secondary", 72, name="scanButton")
        self.scan_button.setStyleSheet("min-height: 64px; padding: 4px 16px;")
        self.query_button = touch_button(_t("progress.query"), height=88, name="queryButton")
        self.query_button.setMinimumWidth(360)
        self.back_button = touch_button(
            _t("progress.back"), "secondary", 88, name="progressBackButton"
        )
        self.back_button.setMinimumWidth(240)
        self.message = QLabel("")
        self.message.setObjectName("progressMessage")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setStyleSheet("font-size: 26px; font-weight: bold;")

        # The answer takes the keypad's place; touching a field brings the keypad back.
        result_box = QWidget()
        result_column = QVBoxLayout(result_box)
        result_column.setContentsMargins(0, 0, 0, 0)
        self.result_title = QLabel("")
        self.result_title.setObjectName("progressResult")
        self.result_title.setWordWrap(True)
        self.result_title.setStyleSheet("font-size: 28px; font-weight: bold;")
        self.timeline = QListWidget()
        self.timeline.setObjectName("progressTimeline")
        self.timeline.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.timeline.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.timeline.setStyleSheet("QListWidget::item { padding: 6px; font-size: 24px; }")
        result_column.addWidget(self.result_title)
        result_column.addWidget(self.timeline, 1)
        self.right = QStackedWidget()
        self.right.addWidget(keypad_box)
        self.right.addWidget(result_box)

        fields = QVBoxLayout()
        fields.setSpacing(4)
        fields.addWidget(self.case_label)
        fields.addWidget(self.case_field)
        fields.addWidget(self.last4_label)
        fields.addWidget(self.last4_field)
        fields.addSpacing(10)
        fields.addWidget(self.scan_button)
        fields.addStretch(1)
        middle = QHBoxLayout()
        middle.setSpacing(32)
        middle.addLayout(fields, 1)
        middle.addWidget(self.right, 1)
        buttons = QHBoxLayout()
        buttons.setSpacing(24)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.query_button)
        buttons.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(40, 8, 40, 12)
        column.setSpacing(8)
        column.addWidget(self.title)
        column.addWidget(self.hint)
        column.addLayout(middle, 1)
        column.addWidget(self.message)
        column.addLayout(buttons)
        self.scan_button.clicked.connect(self.scan_requested.emit)
        self.query_button.clicked.connect(self.query_requested.emit)
        self.back_button.clicked.connect(self.back_requested.emit)

    def follow(self, desk: ProgressDesk) -> None:
        """Keypad and fields act on `desk`; the page shows it after every change."""
        for key, button in self.key_buttons.items():
            button.clicked.connect(lambda _=False, k=key: desk.key(k))
        self.case_field.clicked.connect(lambda: desk.select("case_no"))
        self.last4_field.clicked.connect(lambda: desk.select("last4"))
        desk.listeners.append(lambda: self.show_desk(desk))
        self.show_desk(desk)

    def show_desk(self, desk: ProgressDesk) -> None:
        """Show the fields, the message and the answer."""
        typing_case = desk.field_name == "case_no"
        self.case_field.setText(desk.case_no + ("▏" if typing_case else ""))
        # The typed digits are shown as dots: someone may be looking over the shoulder.
        self.last4_field.setText("●" * len(desk.last4) + ("" if typing_case else "▏"))
        self.case_field.setStyleSheet(_FIELD_STYLE % ("#1c7ed6" if typing_case else "#adb5bd"))
        self.last4_field.setStyleSheet(_FIELD_STYLE % ("#adb5bd" if typing_case else "#1c7ed6"))
        self.key_buttons["X"].setEnabled(not typing_case and len(desk.last4) == 3)
        for button in (self.query_button, self.scan_button):
            button.setEnabled(not desk.busy)
        if desk.busy:
            message, colour = _t("progress.busy"), "#495057"
        elif desk.error_key:
            message, colour = _t(desk.error_key), "#c92a2a"
        elif desk.notice_key:
            message, colour = _t(desk.notice_key), "#1b7f3b"
        else:
            message, colour = "", "#495057"
        self.message.setText(message)
        self.message.setStyleSheet(f"font-size: 26px; font-weight: bold; color: {colour};")
        self._show_result(desk.result)

    def _show_result(self, result: Progress | None) -> None:
        self.timeline.clear()
        if result is None:
            self.result_title.setText("")
            self.right.setCurrentIndex(0)
            return
        state = _t(f"state.{result.state}")
        if result.approval_state:
            state += " · " + _t(f"approval.{result.approval_state}")
        lines = [
            _t("progress.result.case_no", case_no=result.case_no),
            _t("progress.result.matter", matter=result.matter_name or "—"),
            _t("progress.result.state", state=state),
        ]
        self.result_title.setText("\n".join(lines))
        for entry in result.timeline:
            when = entry.at.isoformat()[:16].replace("T", " ")
            label = _t(f"event.{entry.kind}")
            shown = entry.state
            detail = f" · {_t(f'state.{shown}')}" if shown in _STATES else ""
            self.timeline.addItem(f"{when}  {label}{detail}")
        for original in result.originals:
            where = tr("slips", f"state.{original.state}")
            self.timeline.addItem(_t("progress.result.originals", where=where[:100]))
        self.right.setCurrentIndex(1)


_STATES = ("open", "accepted", "completed", "needs_more", "not_eligible")
