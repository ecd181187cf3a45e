"""Glue of the 事项目录 tab (admins): choose a file -> dry run shown -> confirm -> import."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import cast

from PySide6.QtWidgets import QFileDialog, QTabWidget

from backoffice_console.catalogue import (
    CATALOGUE_ROLES,
    CatalogueController,
    CatalogueHub,
    CatalogueImportError,
)
from backoffice_console.ui.catalogue_panel import CataloguePanel, t
from backoffice_console.ui.tab_support import HubTab

log = logging.getLogger(__name__)


def ask_open_path() -> Path | None:
    """A file dialog for a catalogue file; None when the user cancels."""
    chosen, _ = QFileDialog.getOpenFileName(None, t("ui.choose"), "", t("ui.filter"))
    return Path(chosen) if chosen else None


class CatalogueTab(HubTab[CataloguePanel]):
    """Owns the panel and the controller of the 事项目录 tab."""

    def __init__(
        self,
        tabs: QTabWidget,
        hub: Callable[[], CatalogueHub | None],
        open_path: Callable[[], Path | None] = ask_open_path,
    ) -> None:
        self.controller = CatalogueController(hub)
        self._open_path = open_path
        self.checked: Path | None = None
        super().__init__(tabs, CataloguePanel(), t("tab"), "console-catalogue")
        self.panel.choose_requested.connect(self._on_choose)
        self.panel.import_requested.connect(
            lambda: self._tasks.start(self.confirm(), "catalogue.import")
        )

    def shown(self) -> None:
        """Show the hub's current version each time the tab is opened."""
        self._tasks.start(self.refresh(), "catalogue")

    def _on_choose(self) -> None:
        path = self._open_path()
        if path is not None:
            self._tasks.start(self.check(path), "catalogue.check")

    async def refresh(self) -> None:
        """Show the hub's current version."""
        try:
            self.panel.set_current(*await self.controller.current())
        except CatalogueImportError as exc:
            self.panel.show_message(t(exc.key))

    async def check(self, path: Path) -> None:
        """Dry-run `path` and show what it would change."""
        self.checked = None
        try:
            result = await self.controller.check(path)
        except CatalogueImportError as exc:
            self.panel.show_message(t(exc.key))
            return
        self.panel.set_check(path.name, result)
        if result.ok:
            self.checked = path

    async def confirm(self) -> None:
        """Import the file that was checked."""
        if self.checked is None:
            return
        try:
            result = await self.controller.import_(self.checked)
        except CatalogueImportError as exc:
            self.panel.show_message(t(exc.key))
            return
        self.checked = None
        self.panel.set_imported(result)
        await self.refresh()

    async def close(self) -> None:
        """Stop running requests."""
        await self._tasks.cancel_all()


def _catalogue_hub(client: object) -> CatalogueHub | None:
    # The console's hub client protocol does not list post_bytes; the real HubClient has it.
    if client is None or not hasattr(client, "post_bytes"):
        return None
    return cast("CatalogueHub", client)


def install_catalogue_tab(
    tabs: QTabWidget, role: object, hub: Callable[[], object]
) -> CatalogueTab | None:
    """Add the 事项目录 tab for admins; else None."""
    if role not in CATALOGUE_ROLES:
        return None
    return CatalogueTab(tabs, lambda: _catalogue_hub(hub()))
