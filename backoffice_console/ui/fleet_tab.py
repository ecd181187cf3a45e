"""Glue of the 设备运维 tab: panel signals -> `FleetController` coroutines -> panel again.

`install_fleet_tab` adds the tab to the main window for admins and technicians;
the fleet is loaded when the tab is shown and on 刷新 / a filter change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtWidgets import QTabWidget

from backoffice_console.fleet import FLEET_ROLES, FleetController, FleetError, FleetHub
from backoffice_console.ui.fleet_panel import FleetPanel, t
from backoffice_console.ui.tab_support import HubTab

log = logging.getLogger(__name__)


class FleetTab(HubTab[FleetPanel]):
    """Owns the panel and the controller of the 设备运维 tab."""

    def __init__(self, tabs: QTabWidget, hub: Callable[[], FleetHub | None]) -> None:
        self.controller = FleetController(hub)
        super().__init__(tabs, FleetPanel(), t("tab"), "console-fleet")
        self.panel.refresh_requested.connect(lambda d: self._tasks.start(self.load(d), "fleet"))
        self.panel.point_selected.connect(
            lambda p: self._tasks.start(self.show_history(p), "fleet.history")
        )
        self.panel.close_requested.connect(
            lambda o, n: self._tasks.start(self.close_order(o, n), "fleet.close")
        )

    def shown(self) -> None:
        """Load the fleet each time the tab is opened."""
        self._tasks.start(self.load(), "fleet")

    async def load(self, sub_district: str | None = None) -> None:
        """Reload the fleet (with a new sub-district filter when given)."""
        try:
            view = await self.controller.load(sub_district)
        except FleetError as exc:
            self.panel.show_message(t(exc.key))
            return
        self.panel.set_view(view, self.controller.sub_district)

    async def show_history(self, point_id: int) -> None:
        """Show a point's history next to the list."""
        try:
            rows = await self.controller.history(point_id)
        except FleetError as exc:
            self.panel.show_message(t(exc.key))
            return
        self.panel.set_history(self.panel.point_name(point_id), rows)

    async def close_order(self, order_id: int, note: str) -> None:
        """Close a work order with the technician's note, then show the reloaded fleet."""
        try:
            view = await self.controller.close_order(order_id, note)
        except FleetError as exc:
            self.panel.show_message(t(exc.key))
            return
        self.panel.set_view(view, self.controller.sub_district)
        self.panel.note.clear()
        self.panel.show_message(t("orders.closed", id=order_id), error=False)

    async def close(self) -> None:
        """Stop running loads."""
        await self._tasks.cancel_all()


def install_fleet_tab(
    tabs: QTabWidget, role: object, hub: Callable[[], FleetHub | None]
) -> FleetTab | None:
    """Add the 设备运维 tab when `role` is an admin's or a technician's; else None."""
    if role not in FLEET_ROLES:
        return None
    return FleetTab(tabs, hub)
