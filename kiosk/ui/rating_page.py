"""The rating page after a call (好差评): five big choices, reason chips, submit or skip.

`RatingPage` only shows things and exposes its buttons; `RatingUi` connects it to
`kiosk.rating.RatingDesk` and tells `KioskUi` when it should be on screen.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.rating import RatingDesk, RatingState
from kiosk.ui.widgets import touch_button, touch_label
from shared.i18n import tr
from shared.protocol.rating import LEVELS, REASONS

Spawn = Callable[[Coroutine[Any, Any, Any]], Any]

# A chosen level or reason must be unmistakable for a resident with poor eyesight.
_CHECKED_STYLE = """
QPushButton[rating="choice"] { min-height: 150px; font-size: 32px; }
QPushButton[rating="chip"] { min-height: 88px; font-size: 26px; }
QPushButton[rating="action"] { min-height: 120px; min-width: 300px; }
QPushButton[rating="choice"]:checked, QPushButton[rating="chip"]:checked {
    background-color: #1864ab; color: #ffffff; border: 4px solid #0b3d91;
}
"""


def _button(text: str, kind: str, height: int, role: str | None = "secondary") -> QPushButton:
    widget = touch_button(text, role, height)
    if kind:
        widget.setProperty("rating", kind)
        widget.setCheckable(kind != "action")
    return widget


def all_reasons() -> list[str]:
    """Every reason code once, in the order the levels offer them."""
    seen: list[str] = []
    for level in LEVELS:
        seen.extend(r for r in REASONS[level] if r not in seen)
    return seen


class RatingPage(QWidget):
    """请为本次服务评价: level buttons, reason chips of the chosen level, 提交 / 不评价."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("ratingPage")
        self.setStyleSheet(_CHECKED_STYLE)
        self.stack = QStackedWidget()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(40, 24, 40, 32)
        outer.addWidget(self.stack)

        self.form = QWidget()
        column = QVBoxLayout(self.form)
        column.setSpacing(20)
        self.title = touch_label(tr("evaluation", "page.title"), "title")
        self.subtitle = touch_label(tr("evaluation", "page.subtitle"), "muted")
        column.addWidget(self.title)
        column.addWidget(self.subtitle)
        self._add_choices(column)
        self._add_actions(column)

        self.thanks = QWidget()
        thanks_column = QVBoxLayout(self.thanks)
        self.thanks_label = touch_label(tr("evaluation", "page.thanks"), "huge")
        thanks_column.addStretch(1)
        thanks_column.addWidget(self.thanks_label)
        thanks_column.addStretch(1)
        self.stack.addWidget(self.form)
        self.stack.addWidget(self.thanks)

    def _add_choices(self, column: QVBoxLayout) -> None:
        levels = QHBoxLayout()
        levels.setSpacing(16)
        self.level_buttons: dict[int, QPushButton] = {}
        for level in LEVELS:
            choice = _button(tr("evaluation", f"level.{level}"), "choice", 150)
            choice.setObjectName(f"ratingLevel{level}")
            choice.setMinimumWidth(200)
            self.level_buttons[level] = choice
            levels.addWidget(choice)
        column.addLayout(levels)
        self.reasons_title = touch_label(tr("evaluation", "page.reasons"), "muted")
        column.addWidget(self.reasons_title)
        self.chips = QGridLayout()
        self.chips.setSpacing(12)
        self.reason_buttons: dict[str, QPushButton] = {}
        for code in all_reasons():
            chip = _button(tr("evaluation", f"reason.{code}"), "chip", 88)
            chip.setObjectName(f"ratingReason_{code}")
            chip.setVisible(False)
            self.reason_buttons[code] = chip
        self._chips_level: int | None = None
        column.addLayout(self.chips)
        column.addStretch(1)

    def _add_actions(self, column: QVBoxLayout) -> None:
        actions = QHBoxLayout()
        actions.setSpacing(24)
        self.skip_button = _button(tr("evaluation", "page.skip"), "action", 120)
        self.skip_button.setObjectName("ratingSkip")
        self.submit_button = _button(tr("evaluation", "page.submit"), "action", 120, role=None)
        self.submit_button.setObjectName("ratingSubmit")
        self.submit_button.setMinimumWidth(480)
        actions.addStretch(1)
        actions.addWidget(self.skip_button)
        actions.addWidget(self.submit_button)
        actions.addStretch(1)
        column.addLayout(actions)
        self.countdown = touch_label("", "muted")
        column.addWidget(self.countdown)

    def show_desk(self, desk: RatingDesk) -> None:
        """Follow the desk: the chosen level, its chips, and the countdown."""
        if desk.state == RatingState.THANKS:
            self.stack.setCurrentWidget(self.thanks)
            return
        self.stack.setCurrentWidget(self.form)
        sending = desk.state == RatingState.SENDING
        for level, choice in self.level_buttons.items():
            choice.setChecked(level == desk.level)
            choice.setEnabled(not sending)
        offered = REASONS.get(desk.level or 0, ())
        if desk.level != self._chips_level:
            self._place_chips(offered)
            self._chips_level = desk.level
        for code, chip in self.reason_buttons.items():
            chip.setChecked(code in desk.reasons)
            chip.setEnabled(not sending)
        self.reasons_title.setText(
            tr("evaluation", "page.reasons" if offered else "page.choose_first")
        )
        self.submit_button.setEnabled(desk.level is not None and not sending)
        self.skip_button.setEnabled(not sending)
        self.update_countdown(desk)

    def _place_chips(self, offered: tuple[str, ...]) -> None:
        """The chosen level's chips, packed in rows of four in the level's order."""
        for chip in self.reason_buttons.values():
            self.chips.removeWidget(chip)
            chip.setVisible(False)
        for index, code in enumerate(offered):
            chip = self.reason_buttons[code]
            self.chips.addWidget(chip, index // 4, index % 4)
            chip.setVisible(True)

    def update_countdown(self, desk: RatingDesk) -> None:
        """`N 秒后自动返回`."""
        self.countdown.setText(tr("evaluation", "page.countdown", seconds=desk.seconds_left()))


class RatingUi:
    """Connects the page's buttons to the desk; `active_page()` for KioskUi's ENDED state."""

    def __init__(
        self,
        desk: RatingDesk,
        spawn: Spawn,
        add_page: Callable[[QWidget], None],
        on_change: Callable[[], None],
    ) -> None:
        self.desk = desk
        self.page = RatingPage()
        self._spawn = spawn
        add_page(self.page)
        desk.add_listener(on_change)
        for level, choice in self.page.level_buttons.items():
            choice.clicked.connect(lambda _=False, lv=level: desk.choose(lv))
        for code, chip in self.page.reason_buttons.items():
            chip.clicked.connect(lambda _=False, c=code: desk.toggle(c))
        self.page.submit_button.clicked.connect(lambda: self._spawn(desk.submit()))
        self.page.skip_button.clicked.connect(lambda: self._spawn(desk.skip()))

    def active_page(self) -> QWidget | None:
        """The rating page while the desk is open, else None."""
        if not self.desk.active:
            return None
        self.page.show_desk(self.desk)
        return self.page

    def tick(self) -> None:
        """The countdown (every half second while shown)."""
        if self.desk.active:
            self.page.update_countdown(self.desk)
