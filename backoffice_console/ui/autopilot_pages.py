"""The console autopilot's part in materials (issue 4).

First it looks at the kiosk's document camera (the call's second video track):
it waits for the preview in the picture-in-picture, clicks 放大 so the document
camera fills the call view (page outlined), takes `console-doccam.png`, and clicks
缩小 again. Once the resident's card was read, it clicks 拍摄材料 `count` times, each time
waiting until the page's thumbnail appears in the materials panel (or the kiosk
reports why it could not, or the call ends), and then takes
`console-materials.png`; with `export_to` it then saves the pages as one PDF there
(what 导出PDF does once the path is chosen). Only the real button is clicked; the
panel is read to know when to go on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from backoffice_console.identity import ReadState
from backoffice_console.ui.call_view import CallView
from backoffice_console.ui.presenter import ConsolePresenter

log = logging.getLogger(__name__)

POLL_S = 0.05
PAGE_WAIT_S = 30.0
"""Per page: the simulated camera lays the next page within ~9 s, so this is generous."""
DOCCAM_WAIT_S = 10.0
OUTLINE_WAIT_S = 4.0


async def show_doccam(call: CallView, screenshot: Callable[[str], None]) -> bool:
    """Enlarge the document camera, screenshot it, shrink it back; False when no preview came."""
    pane = call.doccam

    async def until(predicate: Callable[[], bool], timeout: float) -> bool:
        try:
            async with asyncio.timeout(timeout):
                while not predicate():  # noqa: ASYNC110 - watching widgets
                    await asyncio.sleep(POLL_S)
        except TimeoutError:
            return False
        return True

    if not await until(lambda: pane.doccam_view.frames_painted > 0, DOCCAM_WAIT_S):
        log.error("autopilot: no document-camera preview within %g s", DOCCAM_WAIT_S)
        return False
    pane.swap_button.click()
    view = pane.doccam_view
    painted, found = view.frames_painted, view.outlines_found
    # A page lies under the camera most of the time: wait a little for its outline.
    await until(lambda: view.frames_painted > painted and view.outlines_found > found,
                OUTLINE_WAIT_S)  # fmt: skip
    await asyncio.sleep(0.3)  # let the outline paint
    screenshot("console-doccam.png")
    pane.swap_button.click()
    return True


async def capture_pages(
    presenter: ConsolePresenter,
    count: int,
    screenshot: Callable[[str], None] | None,
    export_to: Path | None = None,
) -> int:
    """Ask for `count` pages one after another; the number of thumbnails shown at the end."""
    main = presenter.main
    panel = main.call.materials
    if main.call.identity.view.state is not ReadState.SHOWN:
        # A kiosk that did not answer the card read will not answer this either.
        log.info("autopilot: no identity, so no pages asked for")
        return 0
    if screenshot is not None:
        await show_doccam(main.call, screenshot)
    for n in range(count):
        if not main.in_call_view():
            break
        before = panel.pages.count()
        log.info("autopilot: asking the kiosk for page %d", n + 1)
        panel.capture_button.click()

        def arrived(before: int = before) -> bool:
            view = panel.view
            return (
                not main.in_call_view()
                or panel.pages.count() > before
                or view.error_code is not None
            )

        try:
            async with asyncio.timeout(PAGE_WAIT_S):
                while not arrived():  # noqa: ASYNC110 - watching widgets, not awaiting events
                    await asyncio.sleep(POLL_S)
        except TimeoutError:
            log.error("autopilot: no page from the kiosk within %g s", PAGE_WAIT_S)
            break
        if panel.view.error_code is not None:
            log.error("autopilot: the kiosk could not capture: %s", panel.view.error_code)
            break
    shown = panel.pages.count()
    if shown and main.in_call_view() and screenshot is not None:
        main.call.show_panel(panel)  # its tab to the front
        await asyncio.sleep(0.3)  # let the thumbnails paint
        if main.in_call_view():
            screenshot("console-materials.png")
    if shown and main.in_call_view() and export_to is not None:
        if await presenter.export_materials(export_to):
            log.info("autopilot: %d page(s) exported to %s", shown, export_to.name)
        else:
            log.error("autopilot: export failed: %s", panel.status.text())
    return shown
