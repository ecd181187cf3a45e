"""The technician's maintenance page on the touch screen, behind a PIN.

Opened by a long press (2 s) on the touch screen's header: a PIN pad first (big keys,
digits shown as dots), then the results of the health checks with 重新检测 (run again),
打印测试页 (print a test page), 发送报告 (send the report) and 退出维护 (leave). The page
is an overlay over the whole touch window, so the kiosk's own page switching never
hides it. The logic is in `kiosk.health` (Qt-free); this module only shows it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.health.base import DOMAIN
from kiosk.health.monitor import HealthMonitor
from kiosk.health.pin import PinGate
from kiosk.ui.widgets import touch_button
from shared.i18n import tr
from shared.protocol.health import CheckStatus, HealthReport

Spawn = Callable[[Coroutine[Any, Any, Any]], Any]
LONG_PRESS_S = 2.0
STATUS_COLOURS = {
    CheckStatus.OK: "#2b8a3e",
    CheckStatus.WARNING: "#e67700",
    CheckStatus.FAILED: "#c92a2a",
    CheckStatus.ABSENT: "#868e96",
}


def _t(key: str, **fmt: object) -> str:
    return tr(DOMAIN, key, **fmt)


_HEIGHT = 88  # the panel's buttons: big, a little less than the resident's pages


class PinPad(QWidget):
    """Digits as big keys; the PIN shows as dots; `submitted(pin)` on 确定."""

    def __init__(self, submitted: Callable[[str], None], cancelled: Callable[[], None]) -> None:
        super().__init__()
        self.setObjectName("maintenancePinPad")
        self._submitted = submitted
        self.pin = ""
        self.title = QLabel(_t("maint.pin_title"))
        self.title.setProperty("role", "title")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.display = QLabel("")
        self.display.setProperty("role", "huge")
        self.display.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.display.setMinimumHeight(80)
        self.error = QLabel("")
        self.error.setProperty("role", "status")
        self.error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.error.hide()
        grid = QGridLayout()
        grid.setSpacing(16)
        self.keys: dict[str, QPushButton] = {}
        labels = [*"123456789", "clear", "0", "ok"]
        for index, key in enumerate(labels):
            text = _t(f"maint.{key}") if key in ("clear", "ok") else key
            button = touch_button(text, "secondary" if key == "clear" else None, 96)
            button.setMinimumWidth(160)
            button.clicked.connect(lambda _=False, k=key: self.press(k))
            grid.addWidget(button, index // 3, index % 3)
            self.keys[key] = button
        self.cancel_button = touch_button(_t("maint.cancel"), "secondary", _HEIGHT)
        self.cancel_button.clicked.connect(cancelled)
        column = QVBoxLayout(self)
        column.setContentsMargins(48, 24, 48, 24)
        column.setSpacing(16)
        column.addWidget(self.title)
        column.addWidget(self.display)
        column.addWidget(self.error)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addLayout(grid)
        row.addStretch(1)
        column.addLayout(row)
        column.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addStretch(1)

    def press(self, key: str) -> None:
        """A key of the pad: a digit, `clear` or `ok`."""
        if key == "clear":
            self.pin = ""
        elif key == "ok":
            pin, self.pin = self.pin, ""
            self._submitted(pin)
        elif len(self.pin) < 12:
            self.pin += key
            self.show_error("")
        self.display.setText("●" * len(self.pin))

    def show_error(self, text: str) -> None:
        """Say why the PIN was refused (the boxed label shows only when there is something)."""
        self.error.setText(text)
        self.error.setVisible(bool(text))


class ResultsView(QWidget):
    """The results table and the technician's actions."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("maintenanceResults")
        self.title = QLabel(_t("maint.title"))
        self.title.setProperty("role", "title")
        self.status = QLabel(_t("maint.never"))
        self.status.setProperty("role", "muted")
        self.status.setMinimumWidth(420)
        self.status.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(
            [_t(f"col.{c}") for c in ("part", "status", "value", "message")]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        for col in range(3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.run_button = touch_button(_t("maint.run"), None, _HEIGHT)
        self.test_page_button = touch_button(_t("maint.test_page"), "secondary", _HEIGHT)
        self.send_button = touch_button(_t("maint.send"), "secondary", _HEIGHT)
        self.close_button = touch_button(_t("maint.close"), "danger", _HEIGHT)
        buttons = QHBoxLayout()
        buttons.setSpacing(16)
        for button in (self.run_button, self.test_page_button, self.send_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(24, 16, 24, 16)
        column.setSpacing(12)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.status)
        column.addLayout(top)
        column.addWidget(self.table, 1)
        column.addLayout(buttons)

    def show_report(self, report: HealthReport | None) -> None:
        """Fill the table from `report` (None: nothing checked yet)."""
        checks = report.checks if report is not None else []
        self.table.setRowCount(len(checks))
        for row, check in enumerate(checks):
            status = QTableWidgetItem(_t(f"status.{check.status.value}"))
            status.setForeground(QColor(STATUS_COLOURS[check.status]))
            cells = [
                QTableWidgetItem(_t(f"part.{check.part}")),
                status,
                QTableWidgetItem(check.value or ""),
                QTableWidgetItem(check.message),
            ]
            for col, item in enumerate(cells):
                self.table.setItem(row, col, item)
        self.table.resizeRowsToContents()


class MaintenanceOverlay(QWidget):
    """PIN pad, then results, over the whole touch window (see module docstring)."""

    def __init__(
        self, parent: QWidget, monitor: HealthMonitor, gate: PinGate, spawn: Spawn
    ) -> None:
        super().__init__(parent)
        self.setObjectName("maintenanceOverlay")
        self.setAutoFillBackground(True)
        self._window = parent
        self.monitor = monitor
        self.gate = gate
        self._spawn = spawn
        self.pin_pad = PinPad(self._pin_entered, self.close_page)
        self.results = ResultsView()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.pin_pad)
        self.stack.addWidget(self.results)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.results.run_button.clicked.connect(lambda: self._spawn(self.run_again()))
        self.results.test_page_button.clicked.connect(
            lambda: self._spawn(self.run_again(only=["printer"], test_page=True))
        )
        self.results.send_button.clicked.connect(lambda: self._spawn(self.send()))
        self.results.close_button.clicked.connect(self.close_page)
        parent.installEventFilter(self)
        self.long_press: LongPress | None = None
        self.hide()

    @property
    def unlocked(self) -> bool:
        """True while the results (not the PIN pad) are shown."""
        return self.isVisible() and self.stack.currentWidget() is self.results

    def open_page(self) -> None:
        """Show the PIN pad over everything."""
        self.pin_pad.pin = ""
        self.pin_pad.press("clear")
        self.pin_pad.show_error("" if self.gate.configured else _t("maint.pin_none"))
        self.stack.setCurrentWidget(self.pin_pad)
        self.setGeometry(self._window.rect())
        self.raise_()
        self.show()

    def close_page(self) -> None:
        """Back to the kiosk's own pages."""
        self.stack.setCurrentWidget(self.pin_pad)
        self.hide()

    def _pin_entered(self, pin: str) -> None:
        if not self.gate.check(pin):
            self.pin_pad.show_error(
                _t("maint.pin_none") if not self.gate.configured else _t("maint.pin_wrong")
            )
            return
        self.results.show_report(self.monitor.latest)
        self.stack.setCurrentWidget(self.results)

    async def run_again(self, only: list[str] | None = None, test_page: bool = False) -> None:
        """Run the checks now (all, or `only`), then show the results."""
        if not self.unlocked:
            return
        self.results.status.setText(_t("maint.running"))
        report = await self.monitor.run_once(only, test_page, send=False)
        self.results.show_report(report)
        self.results.status.setText(report.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"))

    async def send(self) -> None:
        """Send the latest report to the hub and say whether it arrived."""
        if not self.unlocked:
            return
        sent = await self.monitor.send()
        self.results.status.setText(_t("maint.sent" if sent else "maint.send_failed"))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Follow the parent's size, so the overlay always covers the whole window."""
        if watched is self._window and event.type() == QEvent.Type.Resize:
            self.setGeometry(self._window.rect())
        return False


class LongPress(QObject):
    """Calls `action()` when `widget` is pressed and released after `seconds` or more."""

    def __init__(self, widget: QWidget, action: Callable[[], None], seconds: float) -> None:
        super().__init__(widget)
        self._action = action
        self._seconds = seconds
        self._pressed_at: float | None = None
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Time presses on the watched widget."""
        del watched
        if event.type() == QEvent.Type.MouseButtonPress:
            self._pressed_at = time.monotonic()
        elif event.type() == QEvent.Type.MouseButtonRelease and self._pressed_at is not None:
            held, self._pressed_at = time.monotonic() - self._pressed_at, None
            if held >= self._seconds:
                self._action()
        return False


def attach_maintenance(
    window: QWidget, header: QWidget, monitor: HealthMonitor, spawn: Spawn
) -> MaintenanceOverlay:
    """Put the maintenance overlay on `window`, opened by a long press on `header`."""
    gate = PinGate(monitor.suite.config.maintenance)
    overlay = MaintenanceOverlay(window, monitor, gate, spawn)
    overlay.long_press = LongPress(header, overlay.open_page, LONG_PRESS_S)
    return overlay
