"""The 回电请求 tab: call-back requests residents left at kiosks outside service hours.

A table (phone masked), a state filter, 显示号码 (the hub audits it; the number
is shown only in the status line until the next action) and 已回电 with a
required note. `install_callbacks_tab` adds it for officers, supervisors, admins.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from backoffice_console.callbacks import (
    CALLBACK_ROLES,
    CallbackRow,
    CallbacksController,
    CallbacksError,
    CallbacksHub,
)
from backoffice_console.ui.tab_support import HubTab
from shared.i18n import tr

log = logging.getLogger(__name__)

STATES = ("open", "done", "all")
COLUMNS = ("time", "point", "matter", "phone", "note", "state")


def t(key: str, **fmt: Any) -> str:
    """A text of the `callbacks` domain."""
    return tr("callbacks", key, **fmt)


class CallbacksPanel(QWidget):
    """Shows rows; exposes its buttons (the glue below connects them)."""

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.state = QComboBox()
        for state in STATES:
            self.state.addItem(t(f"state.{state}"), state)
        self.refresh_button = QPushButton(t("refresh"))
        top.addWidget(self.state)
        top.addWidget(self.refresh_button)
        top.addStretch(1)
        layout.addLayout(top)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([t(f"col.{c}") for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        layout.addWidget(self.table, 1)
        actions = QHBoxLayout()
        self.reveal_button = QPushButton(t("reveal"))
        self.note = QLineEdit()
        self.note.setPlaceholderText(t("done_note"))
        self.note.setMaxLength(500)
        self.done_button = QPushButton(t("done"))
        actions.addWidget(self.reveal_button)
        actions.addWidget(self.note, 1)
        actions.addWidget(self.done_button)
        layout.addLayout(actions)
        self.message = QLabel("")
        self.message.setObjectName("callbacksMessage")
        layout.addWidget(self.message)
        self.ids: list[int] = []

    def set_rows(self, rows: list[CallbackRow]) -> None:
        """Fill the table."""
        self.table.setRowCount(len(rows))
        self.ids = [row.callback_id for row in rows]
        for i, row in enumerate(rows):
            when = row.created_at.astimezone().strftime("%m-%d %H:%M") if row.created_at else ""
            state = t(f"state.{row.state}") if row.state in ("open", "done") else row.state
            note = row.note if row.state == "open" else f"{row.note} / {row.done_note}".strip(" /")
            values = (when, row.point_name, row.matter_name, row.phone_masked, note, state)
            for j, value in enumerate(values):
                self.table.setItem(i, j, QTableWidgetItem(value))
        self.show_message("" if rows else t("empty"))

    def selected_id(self) -> int | None:
        """The id of the selected request."""
        row = self.table.currentRow()
        return self.ids[row] if 0 <= row < len(self.ids) else None

    def show_message(self, text: str) -> None:
        """The status line."""
        self.message.setText(text)


class CallbacksTab(HubTab[CallbacksPanel]):
    """Owns the panel and the controller of the 回电请求 tab."""

    def __init__(self, tabs: QTabWidget, hub: Callable[[], CallbacksHub | None]) -> None:
        self.controller = CallbacksController(hub)
        super().__init__(tabs, CallbacksPanel(), t("tab"), "console-callbacks")
        self.panel.refresh_button.clicked.connect(self._reload)
        self.panel.state.currentIndexChanged.connect(self._reload)
        self.panel.reveal_button.clicked.connect(self._on_reveal)
        self.panel.done_button.clicked.connect(self._on_done)

    def shown(self) -> None:
        """Reload the list each time the tab is opened."""
        self._reload()

    def _reload(self, *_: Any) -> None:
        self._tasks.start(self.load(), "callbacks")

    async def load(self) -> None:
        """Reload the list for the chosen state."""
        try:
            rows = await self.controller.load(str(self.panel.state.currentData()))
        except CallbacksError as exc:
            self.panel.show_message(t(exc.key))
            return
        self.panel.set_rows(rows)

    def _on_reveal(self) -> None:
        callback_id = self.panel.selected_id()
        if callback_id is None:
            self.panel.show_message(t("pick"))
            return
        self._tasks.start(self.reveal(callback_id), "callbacks.reveal")

    async def reveal(self, callback_id: int) -> None:
        """Show the full number to dial in the status line."""
        try:
            phone = await self.controller.reveal(callback_id)
        except CallbacksError as exc:
            self.panel.show_message(t(exc.key))
            return
        self.panel.show_message(t("revealed", phone=phone))

    def _on_done(self) -> None:
        callback_id = self.panel.selected_id()
        note = self.panel.note.text().strip()
        if callback_id is None:
            self.panel.show_message(t("pick"))
            return
        if not note:
            self.panel.show_message(t("need_note"))
            return
        self._tasks.start(self.done(callback_id, note), "callbacks.done")

    async def done(self, callback_id: int, note: str) -> None:
        """Record the call-back, then show the reloaded list."""
        try:
            rows = await self.controller.done(callback_id, note)
        except CallbacksError as exc:
            self.panel.show_message(t(exc.key))
            return
        self.panel.set_rows(rows)
        self.panel.note.clear()
        self.panel.show_message(t("marked"))

    async def close(self) -> None:
        """Stop running loads."""
        await self._tasks.cancel_all()


def install_callbacks_tab(
    tabs: QTabWidget, role: object, hub: Callable[[], CallbacksHub | None]
) -> CallbacksTab | None:
    """Add the 回电请求 tab for officers, supervisors and admins; else None."""
    if role not in CALLBACK_ROLES:
        return None
    return CallbacksTab(tabs, hub)
