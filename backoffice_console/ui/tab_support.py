"""What every hub-backed console tab shares: its place in the tab bar, its running requests,
and "the user opened me" (the moment tabs load their list)."""

from __future__ import annotations

from typing import Generic, TypeVar

from PySide6.QtWidgets import QTabWidget, QWidget

from shared.tasks import TaskKeeper

PanelT = TypeVar("PanelT", bound=QWidget)


class HubTab(Generic[PanelT]):
    """Adds `panel` to `tabs` under `title`; `shown()` runs each time the user selects it.

    Requests go through `self._tasks` (named `tasks`), so closing the tab can cancel them.
    """

    def __init__(self, tabs: QTabWidget, panel: PanelT, title: str, tasks: str) -> None:
        self.tabs = tabs
        self.panel = panel
        self._tasks = TaskKeeper(tasks)
        tabs.addTab(panel, title)
        # connected after addTab: adding the first tab must not start a load
        tabs.currentChanged.connect(self._on_tab)

    def _on_tab(self, index: int) -> None:
        if self.tabs.widget(index) is self.panel:
            self.shown()

    def shown(self) -> None:
        """The user opened this tab; subclasses (re)load here."""
