"""事项目录 tab for admins: the current version, choose a file, the dry-run diff, confirm import.

Widgets only; ui/catalogue_tab.py runs the controller. Problems are listed in red and
keep the import button disabled.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from backoffice_console.catalogue import CheckResult, diff_lines
from shared.i18n import tr


def t(key: str, **fmt: object) -> str:
    """A text of the `catalogue` domain."""
    return tr("catalogue", key, **fmt)


class CataloguePanel(QWidget):
    """The 事项目录 tab's widgets."""

    choose_requested = Signal()
    import_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cataloguePanel")
        self.current = QLabel("")
        self.current.setObjectName("catalogueCurrent")
        self.choose_button = QPushButton(t("ui.choose"))
        self.import_button = QPushButton(t("ui.import"))
        self.import_button.setObjectName("catalogueImport")
        for button in (self.choose_button, self.import_button):
            button.setMinimumHeight(36)
        self.file = QLabel(t("ui.no_file"))
        self.summary = QLabel("")
        self.summary.setObjectName("catalogueSummary")
        self.summary.setWordWrap(True)
        self.details = QListWidget()
        self.details.setObjectName("catalogueDetails")
        self.message = QLabel("")
        self.message.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.current, 1)
        top.addWidget(self.choose_button)
        top.addWidget(self.import_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.file)
        layout.addWidget(self.summary)
        layout.addWidget(self.details, 1)
        layout.addWidget(self.message)

        self.choose_button.clicked.connect(self.choose_requested.emit)
        self.import_button.clicked.connect(self.import_requested.emit)
        self.import_button.setEnabled(False)

    def set_current(self, version_id: int, label: str, matters: int) -> None:
        """Show the hub's current version."""
        self.current.setText(t("ui.current", label=label, id=version_id, matters=matters))

    def set_check(self, file_name: str, result: CheckResult) -> None:
        """Show a dry run: the diff (import allowed when it changes something) or the problems."""
        self.file.setText(t("ui.file", name=file_name))
        self.details.clear()
        if not result.ok:
            self.summary.setText(t("ui.problems", count=len(result.problems)))
            for text in result.problems:
                item = QListWidgetItem(text)
                item.setForeground(QBrush(QColor("#b42318")))
                self.details.addItem(item)
            self.import_button.setEnabled(False)
            return
        self.summary.setText(result.summary if result.changes else t("ui.no_changes"))
        for text in diff_lines(result.diff):
            self.details.addItem(text)
        self.import_button.setEnabled(result.changes)
        self.show_message("", error=False)

    def set_imported(self, result: CheckResult) -> None:
        """After an import: nothing more to confirm."""
        self.import_button.setEnabled(False)
        self.show_message(t("ui.imported", summary=result.summary), error=False)

    def show_message(self, text: str, *, error: bool = True) -> None:
        """A line under the list (red for errors)."""
        self.message.setText(text)
        self.message.setStyleSheet("color: #b42318;" if error else "color: #1b7f3b;")
