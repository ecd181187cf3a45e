"""Wires 原件交接 into the kiosk UI: the home page's staff button and the hand-over page."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from kiosk.progress import ProgressHub
from kiosk.slips import SlipDesk
from kiosk.ui.home_entry import EntryHost, HomeEntry, camera_of
from kiosk.ui.slips_page import SlipsPage
from kiosk.ui.widgets import touch_button
from shared.i18n import tr


class SlipsUi(HomeEntry):
    """The hand-over page and its home-page entry."""

    def __init__(self, ui: EntryHost, spawn: Callable[[Coroutine[Any, Any, Any]], object]) -> None:
        hub = ui.controller.hub
        http: ProgressHub | None = hub if isinstance(hub, ProgressHub) else None
        camera = camera_of(ui)
        desk = SlipDesk(lambda: http, camera)
        page = SlipsPage()
        # For the helper, not the resident: smaller than the resident's buttons, still touchable.
        entry = touch_button(tr("slips", "entry"), "secondary", 80, width=480,
                             name="slipsEntryButton")  # fmt: skip
        super().__init__(ui, desk, page, entry)
        self.desk: SlipDesk = desk
        self.page: SlipsPage = page
        page.follow(desk)
        page.scan_button.setVisible(camera is not None)  # no document camera: no scan
        page.scan_requested.connect(lambda: spawn(desk.scan()))
        page.hop_requested.connect(lambda hop: spawn(desk.record(hop)))
        page.back_requested.connect(desk.close)


def install_slips_ui(ui: EntryHost, spawn: Callable[[Coroutine[Any, Any, Any]], object]) -> SlipsUi:
    """Add 原件交接 to a kiosk UI."""
    return SlipsUi(ui, spawn)
