"""The 整改 tab (supervisors) and the 原件流转 tab (officers, supervisors, admins).

整改: the rectifications opened by 不满意 ratings, open and overdue first, and a
dialog to close one with the call-back's time and record (both required).
原件流转: a scan field (a barcode scanner types the slip's QR text and Enter;
the next hand-over is chosen unless one is picked), and the originals under way,
overdue first. `install_evaluation_tabs` adds the tabs the role may use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QDateTime
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from backoffice_console.evaluation import (
    CIRCULATION_ROLES,
    HOPS,
    SUPERVISOR_ROLES,
    CirculationController,
    CirculationRow,
    EvaluationError,
    EvaluationHub,
    RectificationRow,
    RectificationsController,
)
from backoffice_console.ui.tab_support import HubTab
from shared.i18n import tr

log = logging.getLogger(__name__)

RECT_COLUMNS = ("id", "case", "level", "reasons", "officer", "deadline", "state", "callback")
CIRC_COLUMNS = ("code", "case", "state", "since", "overdue")
_OVERDUE = QColor("#ffe3e3")


def t(key: str, **fmt: Any) -> str:
    """A text of the `evaluation` domain."""
    return tr("evaluation", key, **fmt)


def _table(columns: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)  # codes and case numbers are never cut short
    table.verticalHeader().hide()
    return table


def _fill_row(table: QTableWidget, i: int, values: tuple[str, ...], highlight: bool) -> None:
    for j, value in enumerate(values):
        item = QTableWidgetItem(value)
        if highlight:
            item.setBackground(_OVERDUE)
        table.setItem(i, j, item)


def rect_state_text(row: RectificationRow) -> str:
    """已超期 / 待整改 (剩余 N 个工作日) / 已关闭."""
    if row.state == "open" and row.overdue:
        return t("rect.state.overdue")
    if row.state == "open":
        left = "" if row.workdays_left is None else t("rect.workdays_left", days=row.workdays_left)
        return f"{t('rect.state.open')} {left}".strip()
    return t("rect.state.closed")


class RectificationsPanel(QWidget):
    """The list and its buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("rectificationsPanel")
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        title = QLabel(t("rect.title"))
        title.setProperty("role", "title")
        self.refresh_button = QPushButton(t("rect.refresh"))
        self.close_button = QPushButton(t("rect.close"))
        self.close_button.setObjectName("rectCloseButton")
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.refresh_button)
        top.addWidget(self.close_button)
        layout.addLayout(top)
        self.table = _table([t(f"rect.col.{c}") for c in RECT_COLUMNS])
        layout.addWidget(self.table, 1)
        self.message = QLabel("")
        self.message.setObjectName("rectMessage")
        layout.addWidget(self.message)
        self.rows: list[RectificationRow] = []

    def set_rows(self, rows: list[RectificationRow]) -> None:
        """Fill the table (overdue rows tinted)."""
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            reasons = "、".join(t(f"reason.{r}") for r in row.reasons)
            values = (
                str(row.rect_id),
                row.case_no,
                t(f"level.{row.level}"),
                reasons,
                row.officer_name,
                row.deadline,
                rect_state_text(row),
                row.callback_note,
            )
            _fill_row(self.table, i, values, row.state == "open" and row.overdue)
        self.message.setText("" if rows else t("rect.empty"))

    def selected(self) -> RectificationRow | None:
        """The selected row."""
        index = self.table.currentRow()
        return self.rows[index] if 0 <= index < len(self.rows) else None


class CloseDialog(QDialog):
    """回访并关闭: when the call-back happened and what it found (both required)."""

    def __init__(self, row: RectificationRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rectCloseDialog")
        self.setWindowTitle(t("rect.dialog.title"))
        self.setMinimumWidth(560)
        form = QFormLayout(self)
        form.addRow(QLabel(f"{row.case_no}  {t(f'level.{row.level}')}"))
        self.callback_at = QDateTimeEdit(QDateTime.currentDateTime())
        self.callback_at.setCalendarPopup(True)
        self.callback_at.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.note = QPlainTextEdit()
        self.note.setObjectName("rectNote")
        self.note.setMinimumHeight(100)
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #c92a2a;")
        form.addRow(t("rect.dialog.callback_at"), self.callback_at)
        form.addRow(t("rect.dialog.note"), self.note)
        form.addRow(self.problem)
        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton(
            t("rect.dialog.ok"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.addButton(t("rect.dialog.cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

    def _accept(self) -> None:
        if not self.note.toPlainText().strip():
            self.problem.setText(t("rect.dialog.need_note"))
            return
        self.problem.setText("")
        self.accept()

    def values(self) -> tuple[datetime, str]:
        """The call-back time (local, aware) and record."""
        when = self.callback_at.dateTime().toPython()
        assert isinstance(when, datetime)
        return when.astimezone(), self.note.toPlainText().strip()


class RectificationsTab(HubTab[RectificationsPanel]):
    """Owns the 整改 panel and its controller."""

    def __init__(
        self,
        tabs: QTabWidget,
        hub: Callable[[], EvaluationHub | None],
        dialog: Callable[[RectificationRow], CloseDialog] = CloseDialog,
    ) -> None:
        self.controller = RectificationsController(hub)
        self._dialog = dialog
        super().__init__(tabs, RectificationsPanel(), t("rect.tab"), "console-rectifications")
        self.panel.refresh_button.clicked.connect(lambda: self._tasks.start(self.load()))
        self.panel.close_button.clicked.connect(self._on_close)

    def shown(self) -> None:
        """Reload the list each time the tab is opened."""
        self._tasks.start(self.load(), "rectifications")

    async def load(self) -> None:
        """Reload the list."""
        try:
            self.panel.set_rows(await self.controller.load())
        except EvaluationError as exc:
            self.panel.message.setText(t(exc.key, **exc.args_))

    def _on_close(self) -> None:
        row = self.panel.selected()
        if row is None:
            self.panel.message.setText(t("rect.pick"))
            return
        if row.state != "open":
            self.panel.message.setText(t("rect.already_closed"))
            return
        dialog = self._dialog(row)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        when, note = dialog.values()
        self._tasks.start(self.close(row.rect_id, when, note), "rectification.close")

    async def close(self, rect_id: int, when: datetime, note: str) -> None:
        """Close one and show the reloaded list."""
        try:
            self.panel.set_rows(await self.controller.close(rect_id, when, note))
        except EvaluationError as exc:
            self.panel.message.setText(t(exc.key, **exc.args_))
            return
        self.panel.message.setText(t("rect.closed_ok"))

    async def aclose(self) -> None:
        """Stop running loads."""
        await self._tasks.cancel_all()


class CirculationPanel(QWidget):
    """The scan field, the hop choice and the list."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("circulationPanel")
        layout = QVBoxLayout(self)
        scan_row = QHBoxLayout()
        self.scan = QLineEdit()
        self.scan.setObjectName("circulationScan")
        self.scan.setPlaceholderText(t("circ.scan_hint"))
        self.scan.setMaxLength(300)
        self.hop = QComboBox()
        self.hop.addItem(t("circ.next"), None)
        for hop in HOPS:
            self.hop.addItem(t(f"circ.state.{hop}"), hop)
        self.note = QLineEdit()
        self.note.setMaxLength(200)
        self.note.setPlaceholderText(t("circ.note"))
        scan_row.addWidget(QLabel(t("circ.scan")))
        scan_row.addWidget(self.scan, 2)
        scan_row.addWidget(self.hop)
        scan_row.addWidget(self.note, 1)
        layout.addLayout(scan_row)
        filters = QHBoxLayout()
        self.overdue_only = QCheckBox(t("circ.overdue_only"))
        self.refresh_button = QPushButton(t("circ.refresh"))
        filters.addWidget(self.overdue_only)
        filters.addStretch(1)
        filters.addWidget(self.refresh_button)
        layout.addLayout(filters)
        self.table = _table([t(f"circ.col.{c}") for c in CIRC_COLUMNS])
        layout.addWidget(self.table, 1)
        self.message = QLabel("")
        self.message.setObjectName("circulationMessage")
        layout.addWidget(self.message)

    def set_rows(self, rows: list[CirculationRow]) -> None:
        """Fill the table (overdue rows tinted, they come first)."""
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            values = (
                row.code,
                row.case_no,
                t(f"circ.state.{row.state}"),
                row.state_at.astimezone().strftime("%m-%d %H:%M"),
                t("circ.yes") if row.overdue else "",
            )
            _fill_row(self.table, i, values, row.overdue)
        if not rows:
            self.message.setText(t("circ.list_empty"))


class CirculationTab(HubTab[CirculationPanel]):
    """Owns the 原件流转 panel and its controller."""

    def __init__(self, tabs: QTabWidget, hub: Callable[[], EvaluationHub | None]) -> None:
        self.controller = CirculationController(hub)
        super().__init__(tabs, CirculationPanel(), t("circ.tab"), "console-circulation")
        self.panel.scan.returnPressed.connect(self._on_scan)
        self.panel.refresh_button.clicked.connect(lambda: self._tasks.start(self.load()))
        self.panel.overdue_only.toggled.connect(lambda _: self._tasks.start(self.load()))

    def shown(self) -> None:
        """Reload the list each time the tab is opened."""
        self._tasks.start(self.load(), "circulation")

    async def load(self) -> None:
        """Reload the list."""
        try:
            rows = await self.controller.load(self.panel.overdue_only.isChecked())
        except EvaluationError as exc:
            self.panel.message.setText(t(exc.key, **exc.args_))
            return
        self.panel.message.setText("")
        self.panel.set_rows(rows)

    def _on_scan(self) -> None:
        text = self.panel.scan.text()
        self.panel.scan.clear()  # ready for the next slip at once
        self._tasks.start(self.scan(text), "circulation.scan")

    async def scan(self, text: str) -> None:
        """Record the scanned slip's hand-over, then reload."""
        hop = self.panel.hop.currentData()
        try:
            if hop is None and self.controller.next_hop_for(text) is None:
                await self.controller.load(self.panel.overdue_only.isChecked())
            row = await self.controller.scan(text, hop, self.panel.note.text())
        except EvaluationError as exc:
            self.panel.message.setText(t("circ.error", message=t(exc.key, **exc.args_)))
            return
        self.panel.note.clear()
        await self.load()
        self.panel.message.setText(t("circ.ok", code=row.code, state=t(f"circ.state.{row.state}")))

    async def aclose(self) -> None:
        """Stop running loads."""
        await self._tasks.cancel_all()


@dataclass
class EvaluationTabs:
    """The tabs a role got (None: not for this role)."""

    rectifications: RectificationsTab | None
    circulation: CirculationTab | None


def install_evaluation_tabs(
    tabs: QTabWidget, role: object, hub: Callable[[], EvaluationHub | None]
) -> EvaluationTabs:
    """Add 原件流转 for officers, supervisors, admins and 整改 for supervisors and admins."""
    return EvaluationTabs(
        rectifications=RectificationsTab(tabs, hub) if role in SUPERVISOR_ROLES else None,
        circulation=CirculationTab(tabs, hub) if role in CIRCULATION_ROLES else None,
    )
