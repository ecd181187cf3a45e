"""The console autopilot's part in the case record (issue 6).

At the end of the demo call (after pages, receipt and form) it assigns the page
selected in the materials panel to the first checklist item still missing,
chooses 当场办结 in the case panel and clicks 确定结果, waits for the panel to
show the new state, and takes `console-case.png`. It clicks the real widgets
only; what happened goes into the controller's stats (`extra["case"]`) for the
report.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from backoffice_console.ui.presenter import ConsolePresenter

log = logging.getLogger(__name__)

POLL_S = 0.05
CASE_WAIT_S = 10.0


async def _until(predicate: Callable[[], bool], timeout: float = CASE_WAIT_S) -> bool:
    try:
        async with asyncio.timeout(timeout):
            while not predicate():  # noqa: ASYNC110 - watching widgets
                await asyncio.sleep(POLL_S)
    except TimeoutError:
        return False
    return True


async def close_case(
    presenter: ConsolePresenter, screenshot: Callable[[str], None] | None
) -> dict[str, object]:
    """Assign a page, set the outcome 当场办结; returns (and records) what the panel shows."""
    panel = presenter.main.call.case
    desk = presenter.controller.cases
    result: dict[str, object] = {"case_no": None, "state": None, "assigned": None}
    presenter.controller.stats.extra["case"] = result
    if not await _until(lambda: panel.view.case_no is not None):
        log.error("autopilot: the call has no case")
        return result
    result["case_no"] = panel.view.case_no
    # Every captured page, in order, to the first checklist item still missing (demo: 2).
    pages = presenter.main.call.materials.pages
    assigned: list[str | None] = []
    for row in range(pages.count()):
        pages.setCurrentRow(row)
        page = presenter.main.call.materials.selected_material()
        if page is None or not [i.code for i in panel.view.items if not i.done]:
            break
        panel.checklist.clearSelection()
        panel.checklist.setCurrentRow(-1)
        panel.assign_button.click()  # nothing selected: the first missing item
        key = str(page)
        await _until(lambda: desk.view.item_of(key) is not None)  # noqa: B023 - awaited at once
        assigned.append(desk.view.item_of(key))
    result["assigned"] = assigned[0] if assigned else None
    result["assigned_pages"] = assigned
    panel.outcome.setCurrentIndex(panel.outcome.findData("completed"))
    panel.reason.clear()
    panel.outcome_button.click()
    if not await _until(lambda: panel.view.state == "completed"):
        log.error("autopilot: the outcome was not set (%s)", panel.error.text())
    result["state"] = panel.view.state
    log.info("autopilot: case %s is %s", result["case_no"], result["state"])
    if screenshot is not None:
        presenter.main.call.show_panel(panel)  # its tab to the front
        await asyncio.sleep(0.3)  # let the panel paint
        screenshot("console-case.png")
    return result
