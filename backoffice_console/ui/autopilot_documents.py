"""The console autopilot's part in printing and signatures (issue 5).

After the resident's card was read, it clicks 打印回执 and waits for the kiosk to
report the receipt printed (or why not), then clicks 签署表单 and waits for the
signed form's page to appear in the documents panel, and takes
`console-signed.png`. Only the real buttons are clicked; the panel is read to
know when to go on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from backoffice_console.identity import ReadState
from backoffice_console.ui.presenter import ConsolePresenter

log = logging.getLogger(__name__)

POLL_S = 0.05
PRINT_WAIT_S = 20.0
SIGN_WAIT_S = 30.0


async def _wait(predicate: Callable[[], bool], seconds: float) -> bool:
    """Poll `predicate` (as a person watches the screen) up to `seconds`; its last value."""
    try:
        async with asyncio.timeout(seconds):
            while not predicate():  # noqa: ASYNC110 - watching widgets, not awaiting events
                await asyncio.sleep(POLL_S)
    except TimeoutError:
        return False
    return True


async def print_and_sign(
    presenter: ConsolePresenter, screenshot: Callable[[str], None] | None
) -> None:
    """打印回执, then 签署表单 (see module docstring); never raises for a kiosk's failure."""
    main = presenter.main
    panel = main.call.documents
    if not main.in_call_view() or main.call.identity.view.state is not ReadState.SHOWN:
        log.info("autopilot: no identity, so no receipt to print")
        return

    def latest_finished(action: str) -> bool:
        item = panel.view.latest(action)
        return not main.in_call_view() or (item is not None and item.finished)

    log.info("autopilot: printing the receipt")
    panel.receipt_button.click()
    if not await _wait(lambda: latest_finished("print"), PRINT_WAIT_S):
        log.error("autopilot: the receipt did not finish printing within %g s", PRINT_WAIT_S)
    receipt = panel.view.latest("print")
    if receipt is not None and receipt.error_code is not None:
        log.error("autopilot: the receipt failed: %s", receipt.error_code)
    if not main.in_call_view():
        return
    # 签署表单 is enabled again once the receipt's rendering is done.
    await _wait(panel.sign_button.isEnabled, 5.0)
    log.info("autopilot: sending the form for signature")
    panel.sign_button.click()

    def signed_shown() -> bool:
        item = panel.view.latest("form.sign")
        if not main.in_call_view() or item is None:
            return not main.in_call_view()
        return item.signed_png is not None or (item.finished and item.stage != "signed")

    if not await _wait(signed_shown, SIGN_WAIT_S):
        log.error("autopilot: no signed form within %g s", SIGN_WAIT_S)
        return
    form = panel.view.latest("form.sign")
    if form is not None and form.signed_png is not None and main.in_call_view():
        main.call.show_panel(panel)  # its tab to the front
        await asyncio.sleep(0.2)  # let the list lay out its new thumbnail
        if screenshot is not None and main.in_call_view():
            screenshot("console-signed.png")
