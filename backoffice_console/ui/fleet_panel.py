"""设备运维 tab: the fleet list (status colours, sub-district filter, offline first), a point's
history, inspections due and open work orders with close-with-note. Widgets only: it shows
`FleetView`s and emits what the user asked for (see ui/fleet_tab.py for the glue).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from backoffice_console.fleet import FleetView, PointRow, VersionRow
from shared.i18n import tr

# Background / text colour per point state: red offline, amber fault, grey closed, green ok.
STATE_COLOURS = {
    "offline": ("#fde2e1", "#b42318"),
    "fault": ("#fff4d6", "#8a5a00"),
    "closed": ("#eceff1", "#555555"),
    "ok": ("#e6f4ea", "#1b7f3b"),
}
POINT_COLUMNS = (
    "col.state",
    "col.point",
    "col.district",
    "col.kiosks",
    "col.offline_since",
    "col.failed",
    "col.orders",
    "col.version",
)
HISTORY_COLUMNS = (
    "history.col.from",
    "history.col.to",
    "history.col.name",
    "history.col.address",
    "history.col.status",
    "history.col.reason",
)
INSPECTION_COLUMNS = (
    "inspections.col.due",
    "inspections.col.point",
    "inspections.col.title",
    "inspections.col.items",
)
ORDER_COLUMNS = (
    "orders.col.id",
    "orders.col.point",
    "orders.col.part",
    "orders.col.summary",
    "orders.col.opened",
)


def t(key: str, **fmt: object) -> str:
    """A text of the `fleet` domain."""
    return tr("fleet", key, **fmt)


def part_name(part: str | None) -> str:
    """A part's readable name ("printer" -> 打印机); unknown parts as they are."""
    if not part:
        return ""
    key = f"part.{part}"
    text = t(key)
    return part if text == key else text


def reason_text(reason: str) -> str:
    """A version's reason; the hub's own reasons ("enrolled", "opened") translated."""
    key = f"reason.{reason}"
    text = t(key) if reason else ""
    return reason if text == key else text


def _table(columns: Sequence[str], stretch: Sequence[int], name: str) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels([t(key) for key in columns])
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(34)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    for col in stretch:
        header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
    return table


def _fill(table: QTableWidget, rows: Sequence[Sequence[str]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, text in enumerate(values):
            table.setItem(r, c, QTableWidgetItem(text))


def _group(title: str, *widgets: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    for widget in widgets:
        layout.addWidget(widget)
    return box


class FleetPanel(QWidget):
    """The 设备运维 tab (see module docstring)."""

    refresh_requested = Signal(str)
    """The sub-district to show ("" for all)."""
    point_selected = Signal(int)
    close_requested = Signal(int, str)
    """(work order id, note)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loads = 0
        self._points: list[PointRow] = []
        self._order_ids: list[int] = []
        self.history_point: int | None = None
        """The point whose history is shown (kept selected across reloads)."""

        self.title = QLabel(t("count", n=0))
        self.title.setProperty("role", "title")
        self.district = QComboBox()
        self.district.setObjectName("fleetDistrict")
        self.district.setMinimumWidth(180)
        self.district.addItem(t("filter.all"), "")
        self.district.activated.connect(self._on_district)
        self.refresh_button = QPushButton(t("refresh"))
        self.refresh_button.setProperty("role", "secondary")
        self.refresh_button.setMinimumWidth(110)
        self.refresh_button.clicked.connect(self._on_refresh)
        self.message = QLabel("")
        self.message.setObjectName("fleetMessage")

        self.points = _table(POINT_COLUMNS, (1, 5), "fleetPoints")
        self.points.itemSelectionChanged.connect(self._on_point)
        self.history_title = QLabel(t("history.empty"))
        self.history = _table(HISTORY_COLUMNS, (3, 5), "fleetHistory")
        self.inspections = _table(INSPECTION_COLUMNS, (1, 2), "fleetInspections")
        self.orders = _table(ORDER_COLUMNS, (3,), "fleetOrders")
        self.note = QLineEdit()
        self.note.setObjectName("orderNote")
        self.note.setPlaceholderText(t("orders.note"))
        self.note.setMaxLength(500)
        self.close_button = QPushButton(t("orders.close"))
        self.close_button.setObjectName("closeOrder")
        self.close_button.setMinimumWidth(120)
        self.close_button.clicked.connect(self._on_close)
        self._lay_out()

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.message)
        top.addWidget(QLabel(t("filter.label")))
        top.addWidget(self.district)
        top.addWidget(self.refresh_button)

        history_box = QWidget()
        history_layout = QVBoxLayout(history_box)
        history_layout.setContentsMargins(0, 0, 0, 0)
        history_layout.addWidget(self.history_title)
        history_layout.addWidget(self.history, 1)
        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(self.points)
        upper.addWidget(history_box)
        upper.setStretchFactor(0, 3)
        upper.setStretchFactor(1, 2)

        close_row = QHBoxLayout()
        close_row.addWidget(self.note, 1)
        close_row.addWidget(self.close_button)
        orders_box = _group(t("orders.title", n=0), self.orders)
        orders_layout = orders_box.layout()
        assert isinstance(orders_layout, QVBoxLayout)
        orders_layout.addLayout(close_row)
        self.orders_box = orders_box
        self.inspections_box = _group(t("inspections.title", n=0), self.inspections)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.inspections_box)
        lower.addWidget(orders_box)
        lower.setStretchFactor(0, 2)
        lower.setStretchFactor(1, 3)

        outer = QSplitter(Qt.Orientation.Vertical)
        outer.addWidget(upper)
        outer.addWidget(lower)
        outer.setStretchFactor(0, 3)
        outer.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(outer, 1)

    # --- showing -----------------------------------------------------------------

    def set_view(self, view: FleetView, sub_district: str = "") -> None:
        """Show a freshly loaded view (points already filtered and sorted by the hub)."""
        self.show_message("")
        self._set_districts(view.sub_districts, sub_district)
        self._points = list(view.points)
        self.title.setText(t("count", n=len(view.points)))
        self.points.setRowCount(len(view.points))
        for r, point in enumerate(view.points):
            online = sum(k.online for k in point.kiosks)
            offline = (
                point.offline_since.astimezone().strftime("%m-%d %H:%M")
                if (point.offline_since)
                else ""
            )
            values = (
                t(f"state.{point.health}"),
                point.name,
                point.sub_district,
                t("kiosks", online=online, total=len(point.kiosks)),
                offline,
                "、".join(part_name(p) for p in point.failed_parts),
                str(point.open_orders),
                point.versions(t("version.unknown")),
            )
            background, foreground = STATE_COLOURS[point.health]
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setBackground(QBrush(QColor(background)))
                if c == 0:
                    item.setForeground(QBrush(QColor(foreground)))
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.points.setItem(r, c, item)
        _fill(
            self.inspections,
            [
                (
                    t("inspections.overdue", date=i.due_on) if i.overdue else i.due_on,
                    i.point_name,
                    i.title,
                    str(i.items),
                )
                for i in view.inspections
            ],
        )
        self.inspections_box.setTitle(t("inspections.title", n=len(view.inspections)))
        self._reselect()
        self._order_ids = [o.order_id for o in view.orders]
        _fill(
            self.orders,
            [
                (
                    str(o.order_id),
                    o.point_name,
                    part_name(o.part) or t(f"source.{o.source}"),
                    o.summary,
                    o.opened_at.astimezone().strftime("%m-%d %H:%M") if o.opened_at else "",
                )
                for o in view.orders
            ],
        )
        self.orders_box.setTitle(t("orders.title", n=len(view.orders)))
        self.loads += 1

    def _reselect(self) -> None:
        """Keep the history's point selected after a reload; clear both if it is gone."""
        ids = [p.point_id for p in self._points]
        self.points.blockSignals(True)
        self.points.clearSelection()
        if self.history_point in ids:
            self.points.selectRow(ids.index(self.history_point))
        elif self.history_point is not None:
            self.history_point = None
            self.history.setRowCount(0)
            self.history_title.setText(t("history.empty"))
        self.points.blockSignals(False)

    def _set_districts(self, districts: Sequence[str], current: str) -> None:
        self.district.blockSignals(True)
        self.district.clear()
        self.district.addItem(t("filter.all"), "")
        for name in districts:
            self.district.addItem(name, name)
        index = self.district.findData(current)
        self.district.setCurrentIndex(max(index, 0))
        self.district.blockSignals(False)

    def set_history(self, name: str, rows: Sequence[VersionRow]) -> None:
        """Show a point's versions (newest first)."""
        self.history_title.setText(t("history.title", name=name))
        _fill(
            self.history,
            [
                (
                    v.valid_from,
                    v.valid_to or "",
                    v.name,
                    v.address,
                    t(f"status.{v.status}"),
                    reason_text(v.reason),
                )
                for v in rows
            ],
        )

    def show_message(self, text: str, error: bool = True) -> None:
        """A short message next to the filter (red for errors)."""
        self.message.setStyleSheet(f"color: {'#c8102e' if error else '#1b7f3b'};")
        self.message.setText(text)

    def select_point(self, row: int) -> None:
        """Select a row of the fleet list (shows its history)."""
        self.points.selectRow(row)

    def select_order(self, row: int) -> None:
        """Select a row of the work orders."""
        self.orders.selectRow(row)

    # --- user actions ------------------------------------------------------------

    def current_district(self) -> str:
        """The sub-district filter ("" for all)."""
        return str(self.district.currentData() or "")

    def _on_district(self, _index: int) -> None:
        self.refresh_requested.emit(self.current_district())

    def _on_refresh(self) -> None:
        self.refresh_requested.emit(self.current_district())

    def _on_point(self) -> None:
        rows = {i.row() for i in self.points.selectedIndexes()}
        if len(rows) == 1 and (row := rows.pop()) < len(self._points):
            self.history_point = self._points[row].point_id
            self.point_selected.emit(self.history_point)

    def point_name(self, point_id: int) -> str:
        """The shown name of a point in the list."""
        return next((p.name for p in self._points if p.point_id == point_id), "")

    def _on_close(self) -> None:
        rows = {i.row() for i in self.orders.selectedIndexes()}
        if len(rows) != 1 or (row := rows.pop()) >= len(self._order_ids):
            self.show_message(t("error.select_order"))
            return
        if not self.note.text().strip():
            self.show_message(t("error.note_required"))
            return
        self.close_requested.emit(self._order_ids[row], self.note.text().strip())
