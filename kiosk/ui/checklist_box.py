"""The matter's checklist on the capture page: each item 已收 (green) or 还缺 (red)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shared.i18n import tr
from shared.protocol import ChecklistStatus

DONE = QColor("#1b7f3b")
MISSING = QColor("#c92a2a")


class ChecklistBox(QFrame):
    """Shows a `ChecklistStatus`; hidden while there is none (no matter, or no checklist)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("checklistBox")
        self.title = QLabel(tr("cases", "checklist.title"))
        self.title.setProperty("role", "muted")
        self.summary = QLabel("")
        self.summary.setObjectName("checklistSummary")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-size: 22px; font-weight: bold;")
        self.items = QListWidget()
        self.items.setObjectName("checklistItems")
        self.items.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.items.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.items.setStyleSheet("QListWidget::item { padding: 4px; font-size: 21px; }")
        self.items.setWordWrap(True)
        self.items.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedWidth(280)  # the width of the capture page's list of pages
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        self.title.hide()  # the summary line says it; the page is short on height
        layout.addWidget(self.summary)
        layout.addWidget(self.items, 1)
        self.show_status(None)

    def show_status(self, status: ChecklistStatus | None) -> None:
        """Show the items (done first in the matter's order is kept: residents read top down)."""
        self.items.clear()
        if status is None or not status.items:
            self.hide()
            return
        missing = [i for i in status.items if not i.done and not i.optional]
        self.summary.setText(
            tr("cases", "checklist.summary", n=len(missing))
            if missing
            else tr("cases", "checklist.all_done")
        )
        self.summary.setStyleSheet(
            f"font-size: 22px; font-weight: bold; color: {(MISSING if missing else DONE).name()};"
        )
        for item in status.items:
            mark = tr("cases", "checklist.done" if item.done else "checklist.missing")
            optional = tr("cases", "panel.item.optional") if item.optional else ""
            # The status word first: in a narrow column a long name may wrap, the word not.
            text = tr("cases", "checklist.row", mark=mark, name=f"{item.name}{optional}")
            row = QListWidgetItem(f"{'✓' if item.done else '✗'} {text}")
            row.setForeground(DONE if item.done else MISSING)
            self.items.addItem(row)
        self.show()

    def attach_to(self, page: QWidget, beside: QWidget) -> bool:
        """Put the box under `beside` in whichever box layout of `page` holds it."""
        layout = page.layout()
        holder = _layout_holding(layout, beside) if layout is not None else None
        if holder is None:
            return False
        holder.addWidget(self, 2)
        return True

    def rows(self) -> list[str]:
        """The rows as shown (for tests and the autopilot)."""
        return [self.items.item(i).text() for i in range(self.items.count())]


def _layout_holding(layout: Any, widget: QWidget) -> Any:
    """The (nested) box layout that directly holds `widget`, or None."""
    if layout.indexOf(widget) >= 0:
        return layout
    for index in range(layout.count()):
        child = layout.itemAt(index).layout()
        if child is not None:
            found = _layout_holding(child, widget)
            if found is not None:
                return found
    return None
