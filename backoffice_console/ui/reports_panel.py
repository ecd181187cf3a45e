"""报表 tab: a period (two day pickers), a grouping, the table, and CSV / PDF export buttons.

Widgets only: it shows `ReportView`s and emits what the user asked for (the glue in
ui/reports_tab.py runs the controller and asks where to save).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from backoffice_console.reports import GROUPINGS, ReportQuery, ReportView, column_titles
from shared.i18n import tr


def t(key: str, **fmt: object) -> str:
    """A text of the `reports` domain."""
    return tr("reports", key, **fmt)


def _date_edit(name: str, day: dt.date) -> QDateEdit:
    edit = QDateEdit(QDate(day.year, day.month, day.day))
    edit.setObjectName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setMinimumWidth(130)
    return edit


class ReportsPanel(QWidget):
    """The 报表 tab's widgets."""

    query_requested = Signal(object)  # ReportQuery
    export_requested = Signal(object, str)  # ReportQuery, "csv" | "pdf"

    def __init__(self, today: dt.date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportsPanel")
        day = today or dt.date.today()
        self.start = _date_edit("reportFrom", day)
        self.end = _date_edit("reportTo", day)
        self.by = QComboBox()
        self.by.setObjectName("reportBy")
        for key in GROUPINGS:
            self.by.addItem(t(f"by.{key}"), key)
        self.query_button = QPushButton(t("ui.query"))
        self.query_button.setObjectName("reportQuery")
        self.csv_button = QPushButton(t("ui.export_csv"))
        self.pdf_button = QPushButton(t("ui.save_pdf"))
        for button in (self.query_button, self.csv_button, self.pdf_button):
            button.setMinimumHeight(36)

        bar = self._bar()
        self.table = self._table()
        self.summary = QLabel("")
        self.summary.setObjectName("reportSummary")
        self.message = QLabel("")
        self.message.setObjectName("reportMessage")
        self.message.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        footer = QHBoxLayout()
        footer.addWidget(self.summary)
        footer.addStretch(1)
        footer.addWidget(self.message)
        layout.addLayout(footer)

        self.query_button.clicked.connect(lambda: self.query_requested.emit(self.query()))
        self.csv_button.clicked.connect(lambda: self.export_requested.emit(self.query(), "csv"))
        self.pdf_button.clicked.connect(lambda: self.export_requested.emit(self.query(), "pdf"))
        self.set_exportable(False)

    def _bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.addWidget(QLabel(t("ui.from")))
        bar.addWidget(self.start)
        bar.addWidget(QLabel(t("ui.to")))
        bar.addWidget(self.end)
        bar.addSpacing(16)
        bar.addWidget(QLabel(t("ui.by")))
        bar.addWidget(self.by)
        bar.addWidget(self.query_button)
        bar.addStretch(1)
        bar.addWidget(self.csv_button)
        bar.addWidget(self.pdf_button)
        return bar

    @staticmethod
    def _table() -> QTableWidget:
        titles = column_titles()
        table = QTableWidget(0, len(titles))
        table.setObjectName("reportTable")
        table.setHorizontalHeaderLabels(titles)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(32)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        return table

    def query(self) -> ReportQuery:
        """The report the pickers describe now."""
        start, end = self.start.date(), self.end.date()
        return ReportQuery(
            start=dt.date(start.year(), start.month(), start.day()),
            end=dt.date(end.year(), end.month(), end.day()),
            by=str(self.by.currentData()),
        )

    def set_exportable(self, enabled: bool) -> None:
        """Export buttons are usable once a report is shown."""
        self.csv_button.setEnabled(enabled)
        self.pdf_button.setEnabled(enabled)

    def set_busy(self, busy: bool) -> None:
        """Disable the query button while a request runs."""
        self.query_button.setEnabled(not busy)
        if busy:
            self.show_message(t("ui.loading"), error=False)

    def set_view(self, view: ReportView) -> None:
        """Show a report: its rows, then the total in bold."""
        rows = [*view.rows, view.total]
        self.table.setRowCount(len(rows))
        bold = QFont(self.table.font())
        bold.setBold(True)
        for r, values in enumerate(rows):
            last = r == len(rows) - 1
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                if c > 0:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if last:
                    item.setFont(bold)
                    item.setBackground(QBrush(QColor("#eef2f7")))
                self.table.setItem(r, c, item)
        text = t("ui.count", cases=view.cases)
        if view.scope == "own":
            text += "　" + t("ui.own")
        self.summary.setText(text)
        self.show_message("", error=False)
        self.set_exportable(True)

    def show_message(self, text: str, *, error: bool = True) -> None:
        """A line under the table (red for errors)."""
        self.message.setText(text)
        self.message.setStyleSheet("color: #b42318;" if error else "color: #1b7f3b;")
