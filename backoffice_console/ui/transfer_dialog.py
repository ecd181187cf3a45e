"""The 转接 dialog: hand the live call to an online, qualified officer or to a line's queue."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from backoffice_console.routing import TransferTargets
from shared import i18n
from shared.catalogue.model import Line
from shared.i18n import tr

Choice = tuple[str, Any]
"""("officer", user id) or ("line", line code)."""


class TransferDialog(QDialog):
    """Pick exactly one officer or one line; `choice()` and `note()` after `accepted`."""

    def __init__(self, targets: TransferTargets, parent: QWidget | None = None) -> None:  # noqa: PLR0915 - widget layout
        super().__init__(parent)
        self.setWindowTitle(tr("routing", "dialog.title"))
        self.setObjectName("transferDialog")
        self.setMinimumSize(640, 520)
        # Big rows: an officer picks quickly, mid-call, without aiming.
        self.setStyleSheet("QListWidget::item { min-height: 44px; padding: 4px 8px; }")
        names = {ln.code: _line_name(ln) for ln in targets.lines}
        line_text = (
            tr("routing", "dialog.line", line=names.get(targets.line, targets.line))
            if targets.line
            else tr("routing", "dialog.line.none")
        )
        self.line_label = QLabel(line_text)
        self.line_label.setProperty("role", "title")

        self.officers = QListWidget()
        self.officers.setObjectName("transferOfficers")
        for row in targets.officers:
            item = QListWidgetItem(row.display_name)
            item.setData(Qt.ItemDataRole.UserRole, ("officer", row.id))
            self.officers.addItem(item)
        self.no_officers = QLabel(tr("routing", "dialog.no_officers"))
        self.no_officers.setProperty("role", "muted")
        self.no_officers.setVisible(not targets.officers)

        self.lines = QListWidget()
        self.lines.setObjectName("transferLines")
        for ln in targets.lines:
            item = QListWidgetItem(names[ln.code])
            item.setData(Qt.ItemDataRole.UserRole, ("line", ln.code))
            self.lines.addItem(item)
        # One choice in all: picking in one list clears the other.
        self.officers.itemSelectionChanged.connect(lambda: self._picked(self.officers, self.lines))
        self.lines.itemSelectionChanged.connect(lambda: self._picked(self.lines, self.officers))

        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText(tr("routing", "dialog.note"))
        self.note_edit.setMaxLength(200)
        self.hint = QLabel("")
        self.hint.setStyleSheet("color: #c8102e; font-weight: bold;")

        self.ok_button = QPushButton(tr("routing", "dialog.ok"))
        self.ok_button.setObjectName("transferOk")
        self.ok_button.setMinimumSize(140, 48)
        self.ok_button.setEnabled(False)
        self.ok_button.clicked.connect(self.accept)
        cancel = QPushButton(tr("routing", "dialog.cancel"))
        cancel.setMinimumSize(120, 48)
        cancel.clicked.connect(self.reject)

        left = QVBoxLayout()
        left.addWidget(QLabel(tr("routing", "dialog.to_officer")))
        left.addWidget(self.officers, 1)
        left.addWidget(self.no_officers)
        right = QVBoxLayout()
        right.addWidget(QLabel(tr("routing", "dialog.to_line")))
        right.addWidget(self.lines, 1)
        lists = QHBoxLayout()
        lists.addLayout(left, 1)
        lists.addLayout(right, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.hint, 1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.ok_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.line_label)
        layout.addLayout(lists, 1)
        layout.addWidget(self.note_edit)
        layout.addLayout(buttons)

    def _picked(self, source: QListWidget, other: QListWidget) -> None:
        if source.selectedItems():
            other.blockSignals(True)
            other.clearSelection()
            other.blockSignals(False)
        self.ok_button.setEnabled(self.choice() is not None)

    def choice(self) -> Choice | None:
        """The selected officer or line, or None."""
        for widget in (self.officers, self.lines):
            items = widget.selectedItems()
            if items:
                kind, value = items[0].data(Qt.ItemDataRole.UserRole)
                return (str(kind), value)
        return None

    def note(self) -> str:
        """The officer's note for the receiving side (may be empty)."""
        return self.note_edit.text().strip()

    def show_error(self, text: str) -> None:
        """A refusal from the hub, shown in the dialog (it stays open)."""
        self.hint.setText(text)


def _line_name(line: Line) -> str:
    if i18n.current_language() == "en" and line.name_en:
        return line.name_en
    return line.name
