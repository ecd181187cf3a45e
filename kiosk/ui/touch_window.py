"""The touch screen: a header (service point, clock) over one page per kiosk state.

Pages only show things and expose their buttons; `KioskUi` connects the
buttons to the controller and chooses the page.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.ui.capture_page import CapturePage
from kiosk.ui.idcard_pages import CardPromptPage, ManualEntryPage
from kiosk.ui.widgets import touch_button, touch_label
from shared.i18n import tr

_WIDE = 360  # the minimum width of a page's main buttons


class _Page(QWidget):
    """A vertically centred column."""

    def __init__(self) -> None:
        super().__init__()
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(48, 32, 48, 48)
        self.column.setSpacing(24)

    def add_button(self, button: QPushButton) -> None:
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(button)
        row.addStretch(1)
        self.column.addLayout(row)


class HomePage(_Page):
    """开始办理."""

    def __init__(self) -> None:
        super().__init__()
        self.title = touch_label(tr("kiosk", "home.title"), "title")
        self.subtitle = touch_label(tr("kiosk", "home.subtitle"), "muted")
        self.error = touch_label("", "muted")
        self.start_button = touch_button(tr("kiosk", "home.start"), width=_WIDE)
        self.start_button.setMinimumHeight(160)
        self.start_button.setMinimumWidth(480)
        self.column.addStretch(1)
        self.column.addWidget(self.title)
        self.column.addWidget(self.subtitle)
        self.column.addSpacing(24)
        self.add_button(self.start_button)
        self.column.addWidget(self.error)
        self.column.addStretch(1)

    def show_error(self, text: str) -> None:
        self.error.setText(text)


class WaitingPage(_Page):
    """排队中, 第 N 位, waiting time, 取消."""

    def __init__(self) -> None:
        super().__init__()
        self.title = touch_label(tr("kiosk", "waiting.title"), "title")
        self.position = touch_label(tr("kiosk", "waiting.position_unknown"), "huge")
        self.waited = touch_label("")
        self.hint = touch_label(tr("kiosk", "waiting.hint"), "muted")
        self.cancel_button = touch_button(tr("kiosk", "waiting.cancel"), "secondary", width=_WIDE)
        self.column.addStretch(1)
        self.column.addWidget(self.title)
        self.column.addWidget(self.position)
        self.column.addWidget(self.waited)
        self.column.addWidget(self.hint)
        self.column.addSpacing(16)
        self.add_button(self.cancel_button)
        self.column.addStretch(1)

    def show_queue(self, position: int | None, waited_seconds: float | None) -> None:
        self.position.setText(
            tr("kiosk", "waiting.position", position=position)
            if position is not None
            else tr("kiosk", "waiting.position_unknown")
        )
        self.waited.setText(
            tr("kiosk", "waiting.time", time=format_mm_ss(waited_seconds))
            if waited_seconds is not None
            else ""
        )


class CallPage(_Page):
    """通话中 and the 挂断 button."""

    def __init__(self) -> None:
        super().__init__()
        self.title = touch_label(tr("kiosk", "call.title"), "title")
        self.status = touch_label("", "huge")
        self.officer = touch_label("")
        self.hint = touch_label(tr("kiosk", "call.hint"), "muted")
        self.hangup_button = touch_button(tr("kiosk", "call.hangup"), "danger", width=_WIDE)
        self.hangup_button.setMinimumHeight(140)
        self.read_id_button = touch_button(tr("kiosk", "idcard.read"), width=_WIDE)
        self.read_id_button.setObjectName("readIdButton")
        # For the helper: open the document camera without waiting for the officer.
        self.capture_button = touch_button(tr("kiosk", "capture.open"), width=_WIDE)
        self.capture_button.setObjectName("openCaptureButton")
        self.id_result = touch_label("")
        self.id_result.setObjectName("idResult")
        self.column.addStretch(1)
        self.column.addWidget(self.title)
        self.column.addWidget(self.status)
        self.column.addWidget(self.officer)
        self.column.addWidget(self.hint)
        self.column.addSpacing(16)
        self.add_button(self.read_id_button)
        self.add_button(self.capture_button)
        self.column.addWidget(self.id_result)
        self.add_button(self.hangup_button)
        self.column.addStretch(1)

    def show_call(self, status_text: str, officer: str | None) -> None:
        self.status.setText(status_text)
        self.officer.setText(tr("kiosk", "call.officer", name=officer) if officer else "")

    def show_id_result(self, text: str) -> None:
        """The last ID card result (masked number) or what went wrong."""
        self.id_result.setText(text)


class EndedPage(_Page):
    """感谢您的使用, then home after a few seconds."""

    def __init__(self) -> None:
        super().__init__()
        self.title = touch_label(tr("kiosk", "ended.title"), "huge")
        self.reason = touch_label("")
        self.countdown = touch_label("", "muted")
        self.home_button = touch_button(tr("kiosk", "ended.home"), "secondary", width=_WIDE)
        self.column.addStretch(1)
        self.column.addWidget(self.title)
        self.column.addWidget(self.reason)
        self.column.addWidget(self.countdown)
        self.column.addSpacing(16)
        self.add_button(self.home_button)
        self.column.addStretch(1)

    def show_ended(self, lost: bool, seconds_left: int | None) -> None:
        self.reason.setText(tr("kiosk", "ended.lost") if lost else "")
        self.countdown.setText(
            tr("kiosk", "ended.hint", seconds=seconds_left) if seconds_left is not None else ""
        )


class OfflinePage(_Page):
    """无法连接服务中心, retrying."""

    def __init__(self) -> None:
        super().__init__()
        self.title = touch_label(tr("kiosk", "offline.title"), "title")
        self.hint = touch_label(tr("kiosk", "offline.hint"), "muted")
        self.column.addStretch(1)
        self.column.addWidget(self.title)
        self.column.addWidget(self.hint)
        self.column.addStretch(1)


class TouchWindow(QWidget):
    """Top-level window for the touch screen."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("touchWindow")
        self.setWindowTitle(tr("kiosk", "window.touch"))
        self.point_label = touch_label("", "banner", wrap=False)
        self.point_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.clock_label = touch_label("", "banner", wrap=False)
        self.clock_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.setSpacing(0)
        header.addWidget(self.point_label, 1)
        header.addWidget(self.clock_label)

        self.home = HomePage()
        self.waiting = WaitingPage()
        self.call = CallPage()
        self.ended = EndedPage()
        self.offline = OfflinePage()
        self.card_prompt = CardPromptPage()
        self.manual_entry = ManualEntryPage()
        self.capture = CapturePage()
        self.pages = QStackedWidget()
        for page in (
            self.home,
            self.waiting,
            self.call,
            self.ended,
            self.offline,
            self.card_prompt,
            self.manual_entry,
            self.capture,
        ):
            self.pages.addWidget(page)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.pages, 1)
        self.update_clock()

    def add_banner(self, banner: QWidget) -> None:
        """A strip under the header, over every page (the print banner)."""
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(1, banner)

    def add_page(self, page: QWidget) -> None:
        """A page built outside this window (the signature page needs its desk)."""
        self.pages.addWidget(page)

    def show_page(self, page: QWidget) -> None:
        """Bring `page` to the front."""
        self.pages.setCurrentWidget(page)

    def current_page(self) -> QWidget | None:
        """The page shown."""
        return self.pages.currentWidget()

    def set_point_name(self, name: str | None) -> None:
        """Service point name in the header."""
        self.point_label.setText(tr("kiosk", "home.point", name=name) if name else "")

    def update_clock(self) -> None:
        """Date and time in the header."""
        self.clock_label.setText(time.strftime("%Y-%m-%d %H:%M"))


def format_mm_ss(seconds: float | None) -> str:
    """`mm:ss` (minutes keep counting past 59)."""
    total = max(0, int(seconds or 0))
    return f"{total // 60:02d}:{total % 60:02d}"
