"""今日记录: the officer's sessions of the day, from the hub's sessions API."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
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

from backoffice_console.app import HistoryRow, format_duration
from shared.i18n import tr

COLUMNS = (
    "history.col.time",
    "history.col.point",
    "history.col.matter",
    "history.col.duration",
    "history.col.result",
    "history.col.reconnects",
)


def result_text(row: HistoryRow) -> str:
    """How a session ended, e.g. "正常挂断（居民端）"; "进行中" while open."""
    if row.ended_at is None and row.end_reason is None:
        return tr("console", "end.open")
    reason = tr("console", f"end.{row.end_reason}") if row.end_reason else ""
    by = tr("console", f"by.{row.ended_by}") if row.ended_by else ""
    return reason + by


class HistoryPanel(QWidget):
    """A read-only table of `HistoryRow`s and a 刷新 button (`refresh_requested`)."""

    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loads = 0
        """How many times rows were set (the autopilot waits for a fresh load)."""
        self.session_ids: list[str] = []
        self.count = QLabel(tr("console", "history.count", n=0))
        self.count.setProperty("role", "title")
        self.message = QLabel("")
        self.message.setStyleSheet("color: #c8102e;")
        self.refresh_button = QPushButton(tr("console", "history.refresh"))
        self.refresh_button.setObjectName("refreshHistory")
        self.refresh_button.setProperty("role", "secondary")
        self.refresh_button.setMinimumWidth(120)
        self.refresh_button.clicked.connect(self.refresh_requested.emit)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("historyTable")
        self.table.setHorizontalHeaderLabels([tr("console", key) for key in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(36)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)

        top = QHBoxLayout()
        top.addWidget(self.count)
        top.addStretch(1)
        top.addWidget(self.message)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

    def set_rows(self, rows: list[HistoryRow]) -> None:
        """Show `rows` (newest first, as the controller sorts them)."""
        self.message.setText("")
        self.session_ids = [row.session_id for row in rows]
        self.table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            started = row.started_at.astimezone().strftime("%H:%M:%S") if row.started_at else ""
            duration = format_duration(row.duration_s) if row.duration_s is not None else ""
            point = " ".join(part for part in (row.point_name, row.kiosk_name) if part)
            values = (
                started,
                point,
                row.matter or tr("console", "queue.no_matter"),
                duration,
                result_text(row),
                str(row.reconnects),
            )
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                if col in (0, 3, 5):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(index, col, item)
        self.count.setText(tr("console", "history.count", n=len(rows)))
        self.loads += 1

    def set_ratings(self, levels: dict[str, int]) -> None:
        """The residents' ratings (好差评) of the rows, in a last column added on first use."""
        if self.table.columnCount() == len(COLUMNS):
            self.table.insertColumn(len(COLUMNS))
            self.table.setHorizontalHeaderItem(
                len(COLUMNS), QTableWidgetItem(tr("evaluation", "history.rating"))
            )
        for index, session_id in enumerate(self.session_ids):
            level = levels.get(session_id)
            text = tr("evaluation", f"level.{level}") if level is not None else ""
            self.table.setItem(index, len(COLUMNS), QTableWidgetItem(text))

    def show_error(self, text: str) -> None:
        """A load failure, shown next to the refresh button."""
        self.message.setText(text)

    def row_count(self) -> int:
        """Rows shown."""
        return self.table.rowCount()
