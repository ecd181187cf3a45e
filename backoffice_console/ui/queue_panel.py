"""The live queue in the hub's served order: waiting time, priority badges, 接听, 接下一位."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from backoffice_console.app import QueueEntry, format_duration
from shared.i18n import tr

OVERDUE_BACKGROUND = QColor("#fde2e1")
OVERDUE_FOREGROUND = QColor("#a50d26")
COL_POINT, COL_KIOSK, COL_MATTER, COL_WAITING, COL_LINE, COL_BADGE = range(6)
BADGE_COLOURS = {"elderly": "#b35c00", "assistance": "#1f5fa8", "transfer": "#6a1b9a"}


class QueuePanel(QWidget):
    """Shows `QueueEntry`s; emits `take_requested(ticket_id)` when 接听 is clicked."""

    take_requested = Signal(int)
    next_requested = Signal()
    """接下一位: take the next ticket of my lines by the hub's rules."""

    def __init__(
        self,
        now: Callable[[], datetime],
        overdue_after_s: int = 300,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._now = now
        self.overdue_after_s = overdue_after_s
        self._entries: list[QueueEntry] = []
        self._busy = False

        self.title = QLabel(tr("console", "queue.title"))
        self.title.setProperty("role", "title")
        self.count = QLabel()
        self.count.setProperty("role", "muted")

        self.table = self._make_table()
        self.table.itemSelectionChanged.connect(self._update_button)
        self.table.itemDoubleClicked.connect(lambda _item: self.request_take())

        self.empty = QLabel(tr("console", "queue.empty"))
        self.empty.setProperty("role", "muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.message = QLabel("")
        self.message.setObjectName("queueMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c8102e; font-weight: bold;")

        self.take_button = QPushButton(tr("console", "queue.take"))
        self.take_button.setObjectName("takeButton")
        self.take_button.setMinimumSize(160, 48)
        self.take_button.clicked.connect(self.request_take)
        self.next_button = QPushButton(tr("routing", "queue.next"))
        self.next_button.setObjectName("nextButton")
        self.next_button.setMinimumSize(160, 48)
        self.next_button.clicked.connect(self.request_next)

        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.count)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.next_button)
        bottom.addWidget(self.take_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(bottom)

        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.refresh_times)
        self._timer.start()
        self.set_entries([])

    @staticmethod
    def _make_table() -> QTableWidget:
        table = QTableWidget(0, 6)
        table.setObjectName("queueTable")
        table.setAccessibleName(tr("console", "queue.title"))
        table.setHorizontalHeaderLabels(
            [
                tr("console", "queue.col.point"),
                tr("console", "queue.col.kiosk"),
                tr("console", "queue.col.matter"),
                tr("console", "queue.col.waiting"),
                tr("routing", "queue.col.line"),
                tr("routing", "queue.col.priority"),
            ]
        )
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(40)
        header = table.horizontalHeader()
        header.setSectionResizeMode(COL_POINT, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_KIOSK, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_MATTER, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_WAITING, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_LINE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_BADGE, QHeaderView.ResizeMode.ResizeToContents)
        return table

    # --- content -------------------------------------------------------------

    def set_entries(self, entries: list[QueueEntry]) -> None:
        """Replace the rows in the hub's served order, keeping the selected ticket selected."""
        selected = self.selected_ticket_id()
        self._entries = list(entries)
        self.table.setRowCount(len(self._entries))
        for row, entry in enumerate(self._entries):
            matter = entry.matter_name or entry.matter or tr("console", "queue.no_matter")
            for col, text in (
                (COL_POINT, entry.point_name),
                (COL_KIOSK, entry.kiosk_name),
                (COL_MATTER, matter),
                (COL_WAITING, ""),
                (COL_LINE, entry.line or tr("console", "queue.no_matter")),
                (COL_BADGE, badge_text(entry)),
            ):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, entry.ticket_id)
                if col in (COL_WAITING, COL_BADGE):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(row, col, item)
        self.table.clearSelection()
        if selected is not None:
            for row, entry in enumerate(self._entries):
                if entry.ticket_id == selected:
                    self.table.selectRow(row)
        self.count.setText(tr("console", "queue.count", n=len(self._entries)))
        self.empty.setVisible(not self._entries)
        self.refresh_times()
        self._update_button()

    def entries(self) -> list[QueueEntry]:
        """The rows shown, in table order."""
        return list(self._entries)

    def refresh_times(self) -> None:
        """Rewrite every waiting time (mm:ss) and flag tickets waiting too long."""
        now = self._now()
        for row, entry in enumerate(self._entries):
            waited = entry.waiting_seconds(now)
            overdue = entry.overdue or waited >= self.overdue_after_s
            for col in range(self.table.columnCount()):
                item = self.table.item(row, col)
                if item is None:
                    continue
                if col == COL_WAITING:
                    item.setText(format_duration(waited))
                item.setBackground(QBrush(OVERDUE_BACKGROUND) if overdue else QBrush())
                item.setForeground(QBrush(OVERDUE_FOREGROUND) if overdue else QBrush())
                if col == COL_BADGE and not overdue and entry.priority in BADGE_COLOURS:
                    item.setForeground(QBrush(QColor(BADGE_COLOURS[entry.priority])))
                if col == COL_BADGE:
                    item.setText(badge_text(entry, overdue))
                item.setData(Qt.ItemDataRole.UserRole + 1, overdue)

    def is_overdue(self, row: int) -> bool:
        """Whether row `row` is highlighted as waiting too long."""
        item = self.table.item(row, COL_WAITING)
        return bool(item is not None and item.data(Qt.ItemDataRole.UserRole + 1))

    def waiting_text(self, row: int) -> str:
        """The waiting time shown in row `row`."""
        item = self.table.item(row, COL_WAITING)
        return item.text() if item is not None else ""

    # --- taking ----------------------------------------------------------------

    def selected_ticket_id(self) -> int | None:
        """The ticket of the selected row, if any."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), COL_POINT)
        return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def request_take(self) -> None:
        """Emit `take_requested` for the selected ticket (the 接听 button)."""
        if self._busy:
            return
        ticket_id = self.selected_ticket_id()
        if ticket_id is None:
            self.show_message(tr("console", "error.no_selection"))
            return
        self.show_message("")
        self.take_requested.emit(ticket_id)

    def request_next(self) -> None:
        """Emit `next_requested` (the 接下一位 button)."""
        if self._busy:
            return
        self.show_message("")
        self.next_requested.emit()

    def badge(self, row: int) -> str:
        """The priority badge shown in row `row`."""
        item = self.table.item(row, COL_BADGE)
        return item.text() if item is not None else ""

    def set_busy(self, busy: bool) -> None:
        """While a take is in flight the button is disabled and says so."""
        self._busy = busy
        self.take_button.setText(tr("console", "queue.take.busy" if busy else "queue.take"))
        self._update_button()

    def show_message(self, text: str) -> None:
        """An error or hint under the table ("" clears it)."""
        self.message.setText(text)

    def _update_button(self) -> None:
        self.take_button.setEnabled(not self._busy and self.selected_ticket_id() is not None)
        self.next_button.setEnabled(not self._busy and bool(self._entries))


def badge_text(entry: QueueEntry, overdue: bool = False) -> str:
    """70+ / 需协助 / 转接 (and 超时 when waiting too long) for one queue row."""
    parts = [tr("routing", f"badge.{entry.priority}")] if entry.priority != "normal" else []
    if overdue or entry.overdue:
        parts.append(tr("routing", "badge.overdue"))
    return " · ".join(parts)
