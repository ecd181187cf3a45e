"""The console's main window: the queue (or the call while one is live) and 今日记录."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtWidgets import QLabel, QMainWindow, QStackedWidget, QTabWidget, QWidget

from backoffice_console.ui.call_view import CallView
from backoffice_console.ui.history_panel import HistoryPanel
from backoffice_console.ui.queue_panel import QueuePanel
from shared.i18n import tr

TAB_QUEUE, TAB_HISTORY = 0, 1


class MainWindow(QMainWindow):
    """Holds the queue panel, the call view and the history panel; no logic of its own."""

    def __init__(
        self,
        now: Callable[[], datetime],
        overdue_after_s: int = 300,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("console", "app.title"))
        self.queue = QueuePanel(now, overdue_after_s)
        self.call = CallView()
        self.history = HistoryPanel()

        self.stack = QStackedWidget()
        self.stack.addWidget(self.queue)
        self.stack.addWidget(self.call)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.addTab(self.stack, tr("console", "tab.queue"))
        self.tabs.addTab(self.history, tr("console", "tab.history"))
        self.setCentralWidget(self.tabs)

        self.officer = QLabel("")
        self.connection = QLabel("")
        self.connection.setObjectName("connectionStatus")
        self.statusBar().addWidget(self.officer)
        self.statusBar().addPermanentWidget(self.connection)
        self.set_connected(True)
        self.resize(1200, 700)

    def set_officer(self, name: str) -> None:
        """Show who is signed in."""
        self.officer.setText(tr("console", "status.officer", name=name))

    def set_connected(self, connected: bool) -> None:
        """Show whether the hub is reachable."""
        key = "status.online" if connected else "status.offline"
        colour = "#1b7f3b" if connected else "#d9480f"
        self.connection.setText(tr("console", key))
        self.connection.setStyleSheet(f"color: {colour}; font-weight: bold;")

    def show_call(self) -> None:
        """Switch to the call view (and the first tab)."""
        self.stack.setCurrentWidget(self.call)
        self.tabs.setCurrentIndex(TAB_QUEUE)

    def show_queue(self) -> None:
        """Switch back to the queue."""
        self.stack.setCurrentWidget(self.queue)

    def in_call_view(self) -> bool:
        """Whether the call view is showing."""
        return self.stack.currentWidget() is self.call
