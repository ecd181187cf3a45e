"""The console autopilot's office work after the calls: the 报表 and 设备运维 tabs (issues 6, 7).

It shows each tab the way a person would (`tabs.setCurrentWidget`), waits for
the tab to load what the hub says, and takes `console-reports.png` and
`console-fleet.png`. Today's report is what the tab asks for by default. A tab
the signed-in role does not get (an officer has no 设备运维) is skipped. What
was shown goes into the controller's stats (`extra["report"]`, `extra["fleet"]`)
for the report JSON.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from backoffice_console.reports import COLUMN_KEYS
from backoffice_console.ui.presenter import ConsolePresenter

log = logging.getLogger(__name__)

POLL_S = 0.05
LOAD_WAIT_S = 15.0

Shoot = Callable[[str], None]


async def _until(predicate: Callable[[], bool], timeout: float = LOAD_WAIT_S) -> bool:
    try:
        async with asyncio.timeout(timeout):
            while not predicate():  # noqa: ASYNC110 - watching widgets
                await asyncio.sleep(POLL_S)
    except TimeoutError:
        return False
    return True


def _cell(total: list[str], key: str) -> int:
    """An integer figure of the report's total row, by its column key."""
    text = total[COLUMN_KEYS.index(key)]
    return int(text) if text.isdigit() else 0


async def show_reports(presenter: ConsolePresenter, shoot: Shoot | None) -> dict[str, Any] | None:
    """Open 报表 (today's report by default); returns its total figures, None without the tab."""
    tab = presenter.reports
    if tab is None:
        return None
    controller = tab.controller
    before = controller.last
    presenter.main.tabs.setCurrentWidget(tab.panel)  # the tab loads itself when first shown
    if not await _until(lambda: controller.last is not before):
        log.error("autopilot: the report did not load (%s)", tab.panel.message.text())
        return {"loaded": False}
    view = controller.last
    assert view is not None
    figures: dict[str, Any] = {
        "loaded": True,
        "day": view.query.start.isoformat(),
        "scope": view.scope,
        "cases": view.cases,
        "completed": _cell(view.total, "outcome.completed"),
        "rated": _cell(view.total, "col.rated"),
    }
    log.info("autopilot: today's report shows %s", figures)
    if shoot is not None:
        await asyncio.sleep(0.3)  # let the table paint
        shoot("console-reports.png")
    return figures


async def show_fleet(presenter: ConsolePresenter, shoot: Shoot | None) -> dict[str, Any] | None:
    """Open 设备运维; returns the points and work orders it shows, None without the tab."""
    tab = presenter.fleet
    if tab is None:
        return None
    controller = tab.controller
    before = controller.view
    presenter.main.tabs.setCurrentWidget(tab.panel)  # the tab loads when shown
    if not await _until(lambda: controller.view is not before):
        log.error("autopilot: the fleet did not load (%s)", tab.panel.message.text())
        return {"loaded": False}
    view = controller.view
    figures: dict[str, Any] = {
        "loaded": True,
        "points": [
            {
                "name": p.name,
                "health": p.health,
                "kiosks": [{"name": k.name, "online": k.online} for k in p.kiosks],
                "failed_parts": list(p.failed_parts),
                "open_orders": p.open_orders,
            }
            for p in view.points
        ],
        "open_orders": len(view.orders),
    }
    log.info("autopilot: the fleet shows %d point(s)", len(view.points))
    if shoot is not None:
        if view.points:
            tab.panel.select_point(0)  # its history beside the list
            await asyncio.sleep(0.5)
        await asyncio.sleep(0.3)  # let the tables paint
        shoot("console-fleet.png")
    return figures


async def office_tabs(presenter: ConsolePresenter, shoot: Shoot | None) -> None:
    """报表 then 设备运维, as far as the role has them; results go to `stats.extra`."""
    extra = presenter.controller.stats.extra
    extra["report"] = await show_reports(presenter, shoot)
    extra["fleet"] = await show_fleet(presenter, shoot)
