"""The resident's start pages on the touch screen (issue 6): big targets for elderly users.

Category (11 line buttons and a way to the letter search) -> matter list (a
line's matters or the search results; unavailable ones greyed with the reason)
-> matter page (the checklist, 需要协助, an optional card read for the 70+
priority, 开始办理 or, outside service hours, 留下回电请求) -> call-back page
(digit keypad) -> confirmation. Pages only show things and expose buttons;
`kiosk.ui.start_ui.StartUi` connects them to `kiosk.start_flow.StartFlow`.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kiosk.start_flow import unavailable_reason
from kiosk.ui.widgets import touch_button, touch_label
from shared.catalogue.model import Line, Matter, OfferedMatter
from shared.i18n import tr

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
Choose = Callable[[str], None]


def _drop(widget: QWidget) -> None:
    """Take a rebuilt widget off the page now (deleteLater alone leaves it painted a while)."""
    widget.hide()
    widget.setParent(None)
    widget.deleteLater()


class StartPage(QWidget):
    """A page with 返回 / 首页 on top and a title."""

    def __init__(self) -> None:
        super().__init__()
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(32, 16, 32, 24)
        self.column.setSpacing(16)
        nav = QHBoxLayout()
        self.back_button = touch_button(tr("start", "nav.back"), "secondary", 80)
        self.home_button = touch_button(tr("start", "nav.home"), "secondary", 80)
        self.back_button.setMinimumWidth(200)
        policy = self.back_button.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the title stays centred on the first pages
        self.back_button.setSizePolicy(policy)
        self.home_button.setMinimumWidth(200)
        self.title = touch_label("", "title")
        nav.addWidget(self.back_button)
        nav.addWidget(self.title, 1)
        nav.addWidget(self.home_button)
        self.column.addLayout(nav)
        self.error = touch_label("", "muted")
        self.error.setObjectName("startError")

    def show_error(self, text: str) -> None:
        """An error line (empty: none)."""
        self.error.setText(text)
        self.error.setVisible(bool(text))


class CategoryPage(StartPage):
    """The 11 lines as large buttons, and 按拼音首字母查找."""

    COLUMNS = 4

    def __init__(self) -> None:
        super().__init__()
        self.back_button.hide()  # the first start page: 首页 is the way back
        self.title.setText(tr("start", "category.title"))
        self.grid = QGridLayout()
        self.grid.setSpacing(16)
        self.column.addLayout(self.grid)
        self.column.addStretch(1)
        self.search_button = touch_button(tr("start", "category.search"), "secondary", 96)
        self.search_button.setObjectName("searchButton")
        self.column.addWidget(self.search_button)
        self.column.addWidget(self.error)
        self.line_buttons: dict[str, QPushButton] = {}
        self._shown: list[str] = []

    def show_lines(self, lines: list[Line], choose: Choose) -> None:
        """One button per line (rebuilt only when the lines change)."""
        codes = [line.code for line in lines]
        if codes == self._shown:
            return
        for old in self.line_buttons.values():
            self.grid.removeWidget(old)
            _drop(old)
        self.line_buttons = {}
        for i, line in enumerate(lines):
            widget = touch_button(line.name, None, 110)
            widget.setProperty("code", line.code)
            widget.clicked.connect(lambda _=False, code=line.code: choose(code))
            self.grid.addWidget(widget, i // self.COLUMNS, i % self.COLUMNS)
            widget.show()  # the layout would only show it on the next event loop turn
            self.line_buttons[line.code] = widget
        self._shown = codes


class LetterKeyboard(QWidget):
    """A-Z, 退格 and 清除, for pinyin initials."""

    COLUMNS = 10

    def __init__(self) -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(8)
        self.keys: dict[str, QPushButton] = {}
        for i, letter in enumerate(LETTERS):
            key = touch_button(letter, None, 64)
            key.setMinimumWidth(88)
            grid.addWidget(key, i // self.COLUMNS, i % self.COLUMNS)
            self.keys[letter] = key
        self.backspace = touch_button(tr("start", "keyboard.backspace"), "secondary", 64)
        self.clear = touch_button(tr("start", "keyboard.clear"), "secondary", 64)
        grid.addWidget(self.backspace, 2, 6, 1, 2)
        grid.addWidget(self.clear, 2, 8, 1, 2)


class MatterListPage(StartPage):
    """A line's matters, or the letter search with its results."""

    COLUMNS = 2

    def __init__(self) -> None:
        super().__init__()
        self.keyboard = LetterKeyboard()
        self.column.addWidget(self.keyboard)
        self.count = touch_label("", "muted")
        self.column.addWidget(self.count)
        self.column.addWidget(self.error)
        self.list_widget = QWidget()
        self.list_grid = QGridLayout(self.list_widget)
        self.list_grid.setSpacing(12)
        self.list_grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.list_widget)
        self.column.addWidget(scroll, 1)
        self.matter_buttons: dict[str, QPushButton] = {}
        self._shown: list[tuple[str, bool]] = []

    def show_line(self, title: str) -> None:
        """A line's matters: no keyboard."""
        self.keyboard.hide()
        self.title.setText(title)

    def show_search(self, query: str) -> None:
        """The letter search: the keyboard and what was typed."""
        self.keyboard.show()
        self.title.setText(tr("start", "matters.search_title", query=query.upper() or "…"))

    def show_matters(self, offers: list[OfferedMatter], choose: Choose, searching: bool) -> None:
        """The matters as buttons; an unavailable one is greyed and says why."""
        key = [(o.matter.code, o.available) for o in offers]
        if not offers:
            self.count.setText(tr("start", "matters.none") if searching else "")
        else:
            self.count.setText(tr("start", "matters.count", count=len(offers)))
        if key == self._shown:
            return
        for old in self.matter_buttons.values():
            self.list_grid.removeWidget(old)
            _drop(old)
        self.matter_buttons = {}
        for i, offer in enumerate(offers):
            reason = unavailable_reason(offer)
            text = offer.matter.name
            if reason is not None:
                text += "\n" + tr("start", reason)
            widget = touch_button(text, None if reason is None else "secondary", 104)
            widget.setProperty("code", offer.matter.code)
            widget.setEnabled(reason is None)
            widget.clicked.connect(lambda _=False, code=offer.matter.code: choose(code))
            self.list_grid.addWidget(widget, i // self.COLUMNS, i % self.COLUMNS)
            widget.show()
            self.matter_buttons[offer.matter.code] = widget
        self._shown = key


class MatterPage(StartPage):
    """请准备以下材料, 需要协助, 刷身份证, 开始办理 or 留下回电请求."""

    def __init__(self) -> None:
        super().__init__()
        self.prepare = touch_label(tr("start", "matter.prepare"), None)
        self.prepare.setAlignment(Qt.AlignmentFlag.AlignLeft)
        self.prepare.setStyleSheet("font-weight: bold;")
        self.column.addWidget(self.prepare)
        self.checklist = QFrame()
        self.checklist.setProperty("role", "card")
        self.checklist_column = QVBoxLayout(self.checklist)
        self.checklist_column.setContentsMargins(24, 12, 24, 12)
        self.checklist_column.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.column.addWidget(self.checklist)
        self.item_labels: list[QLabel] = []
        self.hours = touch_label("", "muted")
        self.hours.setObjectName("hoursNote")
        self.card_note = touch_label("", "muted")
        self.column.addWidget(self.hours)
        self.column.addStretch(1)
        self.column.addWidget(self.card_note)
        self.column.addWidget(self.error)
        row = QHBoxLayout()
        row.setSpacing(16)
        self.assistance_button = touch_button(tr("start", "matter.assistance"), "secondary", 110)
        self.assistance_button.setCheckable(True)
        self.card_button = touch_button(tr("start", "matter.card"), "secondary", 110)
        self.start_button = touch_button(tr("start", "matter.start"), None, 110)
        self.start_button.setObjectName("matterStartButton")
        self.callback_button = touch_button(tr("start", "matter.callback"), None, 110)
        self.callback_button.setObjectName("callbackButton")
        for widget in (
            self.assistance_button,
            self.card_button,
            self.start_button,
            self.callback_button,
        ):
            row.addWidget(widget, 1)
        self.column.addLayout(row)

    def show_matter(self, matter: Matter) -> None:
        """The matter's name and checklist (originals marked 需提交原件)."""
        self.title.setText(matter.name)
        for old in self.item_labels:
            self.checklist_column.removeWidget(old)
            _drop(old)
        self.item_labels = []
        items = matter.materials or []
        if not items:
            self.item_labels.append(touch_label(tr("start", "matter.no_materials")))
        for item in items:
            text = f"•  {html.escape(item.name)}"  # rich text: the catalogue's text is escaped
            if item.optional:
                text += " " + tr("start", "matter.optional")
            if item.original_required:
                mark = tr("start", "matter.original")
                text += f"　<span style='color:#c8102e; font-weight:bold'>【{mark}】</span>"
            widget = touch_label(text)
            widget.setTextFormat(Qt.TextFormat.RichText)
            widget.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            widget.setProperty("original", item.original_required)
            self.item_labels.append(widget)
        for widget in self.item_labels:
            self.checklist_column.addWidget(widget)
            widget.show()

    def show_options(
        self, *, assistance: bool, card: bool, open_now: bool, hours: str, next_open: str
    ) -> None:
        """Buttons for the hours and devices; the hours line when outside them."""
        self.assistance_button.setChecked(assistance)
        self.assistance_button.setText(
            tr("start", "matter.assistance_on" if assistance else "matter.assistance")
        )
        self.assistance_button.setVisible(open_now)
        self.card_button.setVisible(card and open_now)
        self.start_button.setVisible(open_now)
        self.callback_button.setVisible(not open_now)
        lines = [] if open_now else [tr("start", "matter.closed")]
        if hours:
            lines.append(tr("start", "matter.hours", hours=hours))
        if next_open and not open_now:
            lines.append(tr("start", "matter.next_open", time=next_open))
        self.hours.setText("；".join(lines))


class DigitKeypad(QWidget):
    """0-9, 清除 and 退格."""

    def __init__(self) -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(10)
        self.keys: dict[str, QPushButton] = {}
        for i, digit in enumerate("123456789"):
            key = touch_button(digit, None, 80)
            key.setMinimumWidth(150)
            grid.addWidget(key, i // 3, i % 3)
            self.keys[digit] = key
        self.clear = touch_button(tr("start", "keyboard.clear"), "secondary", 80)
        self.keys["0"] = touch_button("0", None, 80)
        self.backspace = touch_button(tr("start", "keyboard.backspace"), "secondary", 80)
        grid.addWidget(self.clear, 3, 0)
        grid.addWidget(self.keys["0"], 3, 1)
        grid.addWidget(self.backspace, 3, 2)


class CallbackPage(StartPage):
    """Phone number on a digit keypad, an optional note, 提交."""

    def __init__(self) -> None:
        super().__init__()
        self.title.setText(tr("start", "callback.title"))
        self.hint = touch_label(tr("start", "callback.hint"), "muted")
        self.column.addWidget(self.hint)
        body = QHBoxLayout()
        body.setSpacing(32)
        left = QVBoxLayout()
        self.phone = touch_label("", "huge", wrap=False)
        self.phone.setObjectName("phoneDisplay")
        self.validity = touch_label("", "muted")
        self.note = QLineEdit()
        self.note.setMaxLength(200)
        self.note.setPlaceholderText(tr("start", "callback.note"))
        self.note.setMinimumHeight(64)
        self.submit_button = touch_button(tr("start", "callback.submit"), None, 110)
        self.submit_button.setObjectName("callbackSubmit")
        left.addStretch(1)
        left.addWidget(touch_label(tr("start", "callback.phone")))
        left.addWidget(self.phone)
        left.addWidget(self.validity)
        left.addWidget(self.note)
        left.addWidget(self.error)
        left.addWidget(self.submit_button)
        left.addStretch(1)
        self.keypad = DigitKeypad()
        body.addLayout(left, 1)
        body.addWidget(self.keypad, 1)
        self.column.addLayout(body, 1)

    def show_phone(self, shown: str, valid: bool, busy: bool) -> None:
        """The number as typed (masked once complete) and whether it can be sent."""
        self.phone.setText(shown or "—")
        if shown:
            self.validity.setText(tr("start", "callback.valid" if valid else "callback.invalid"))
        else:
            self.validity.setText("")
        self.submit_button.setEnabled(valid and not busy)


class CallbackDonePage(StartPage):
    """已收到您的回电请求."""

    def __init__(self) -> None:
        super().__init__()
        self.back_button.hide()
        self.title.setText(tr("start", "done.title"))
        self.detail = touch_label("", "title")
        self.detail.setObjectName("callbackDetail")
        self.done_button = touch_button(tr("start", "done.home"), None, 120)
        self.column.addStretch(1)
        self.column.addWidget(self.detail)
        self.column.addSpacing(24)
        self.column.addWidget(self.done_button)
        self.column.addStretch(1)

    def show_done(self, phone_masked: str, matter_name: str) -> None:
        """The masked number and the matter."""
        self.detail.setText(tr("start", "done.detail", phone=phone_masked, matter=matter_name))
