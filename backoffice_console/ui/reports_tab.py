"""Glue of the 报表 tab: panel signals -> `ReportsController` coroutines -> panel again.

`install_reports_tab` adds the tab for supervisors, admins and officers (an officer's
report holds only his or her own cases: the hub decides). Exports ask where to save.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import cast

from PySide6.QtWidgets import QFileDialog, QTabWidget

from backoffice_console.reports import (
    REPORT_ROLES,
    ReportQuery,
    ReportsController,
    ReportsError,
    ReportsHub,
)
from backoffice_console.ui.reports_panel import ReportsPanel, t
from backoffice_console.ui.tab_support import HubTab

log = logging.getLogger(__name__)

SaveAs = Callable[[str, str], Path | None]


def ask_save_path(default_name: str, kind: str) -> Path | None:
    """A file dialog for the export; None when the user cancels."""
    pattern = "CSV (*.csv)" if kind == "csv" else "PDF (*.pdf)"
    chosen, _ = QFileDialog.getSaveFileName(None, t("ui.save_title"), default_name, pattern)
    return Path(chosen) if chosen else None


class ReportsTab(HubTab[ReportsPanel]):
    """Owns the panel and the controller of the 报表 tab."""

    def __init__(
        self,
        tabs: QTabWidget,
        hub: Callable[[], ReportsHub | None],
        save_as: SaveAs = ask_save_path,
    ) -> None:
        self.controller = ReportsController(hub)
        self._save_as = save_as
        self._loaded = False
        super().__init__(tabs, ReportsPanel(), t("tab"), "console-reports")
        self.panel.query_requested.connect(lambda q: self._tasks.start(self.load(q), "report"))
        self.panel.export_requested.connect(
            lambda q, kind: self._tasks.start(self.export(q, kind), "report.export")
        )

    def shown(self) -> None:
        """Load the default report the first time the tab is opened."""
        if not self._loaded:
            self._tasks.start(self.load(self.panel.query()), "report")

    async def load(self, query: ReportQuery) -> None:
        """Fetch and show a report."""
        self.panel.set_busy(True)
        try:
            view = await self.controller.load(query)
        except ReportsError as exc:
            self.panel.show_message(t(exc.key))
            return
        finally:
            self.panel.set_busy(False)
        self._loaded = True
        self.panel.set_view(view)

    async def export(self, query: ReportQuery, kind: str) -> Path | None:
        """Ask where, then save the CSV or PDF of `query` there."""
        target = self._save_as(query.file_name(kind), kind)
        if target is None:
            return None
        try:
            saved = await self.controller.export(query, kind, target)
        except ReportsError as exc:
            self.panel.show_message(t(exc.key))
            return None
        self.panel.show_message(t("ui.saved", path=saved.name), error=False)
        return saved

    async def close(self) -> None:
        """Stop running requests."""
        await self._tasks.cancel_all()


def _reports_hub(client: object) -> ReportsHub | None:
    # The console's hub client protocol does not list get_bytes; the real HubClient has it.
    if client is None or not hasattr(client, "get_bytes"):
        return None
    return cast("ReportsHub", client)


def install_reports_tab(
    tabs: QTabWidget, role: object, hub: Callable[[], object]
) -> ReportsTab | None:
    """Add the 报表 tab for supervisors, admins and officers; else None."""
    if role not in REPORT_ROLES:
        return None
    return ReportsTab(tabs, lambda: _reports_hub(hub()))
