"""The console's 回电请求 tab against a real hub: masked list, audited reveal, done with a note."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtWidgets import QApplication, QTabWidget
from sqlalchemy import select

from backoffice_console.hub.core.models import AuditEntry
from backoffice_console.ui.callbacks_tab import CallbacksTab, install_callbacks_tab
from shared.hubclient import HubClient
from shared.protocol import Role
from shared.ui.fonts import install_cjk_font
from shared.ui.screenshot import save_screenshot
from shared.ui.theme import apply_theme
from tests.support.hub_fixtures import PASSWORD, WAIT, HubHarness

PHONES = ("13811112222", "13933334444")


async def _ignore(_: object) -> None:
    return None


async def test_callbacks_tab(hub: HubHarness, qapp: QApplication, test_output: Path) -> None:
    old_style = qapp.styleSheet()
    apply_theme(qapp, "default", font_family=install_cjk_font(qapp))
    kiosk = HubClient(hub.url, hub.ca, _ignore)
    officer = HubClient(hub.url, hub.ca, _ignore)
    try:
        await asyncio.wait_for(kiosk.login_device(await hub.kiosk_credential("k-cb")), WAIT)
        await hub.user("cb-officer", Role.OFFICER)
        await asyncio.wait_for(officer.login_officer("cb-officer", PASSWORD), WAIT)
        for phone, matter in zip(PHONES, ("civil.dbsq", "medins.jmyb"), strict=True):
            body = {"matter_code": matter, "phone": phone, "note": "上午方便"}
            await asyncio.wait_for(kiosk.post_json("/api/v1/callbacks", body), WAIT)

        tabs = QTabWidget()
        tabs.resize(1100, 500)
        assert install_callbacks_tab(tabs, "technician", lambda: officer) is None
        tab = install_callbacks_tab(tabs, "officer", lambda: officer)
        assert isinstance(tab, CallbacksTab) and tabs.count() == 1
        panel = tab.panel
        await asyncio.wait_for(tab.load(), WAIT)
        assert panel.table.rowCount() == 2
        cells = [
            panel.table.item(r, c).text()  # type: ignore[union-attr]
            for r in range(2)
            for c in range(panel.table.columnCount())
        ]
        assert "138****2222" in cells and "低保申请" in cells
        assert not any(p in cell for p in PHONES for cell in cells)

        panel.table.selectRow(0)
        first = panel.selected_id()
        assert first is not None
        await asyncio.wait_for(tab.reveal(first), WAIT)
        assert PHONES[0] in panel.message.text()
        # 已回电 needs a note; with one the request leaves the open list.
        panel.done_button.click()
        assert panel.message.text() == "请填写回电结果"
        await asyncio.wait_for(tab.done(first, "已回电，材料齐全"), WAIT)
        assert panel.table.rowCount() == 1 and panel.message.text() == "已记录回电"
        tabs.show()
        qapp.processEvents()
        save_screenshot(tabs, test_output / "console-callbacks.png")
        # A second close of the same request: a clear message, nothing changed.
        await asyncio.wait_for(tab.done(first, "again"), WAIT)
        assert panel.message.text() == "该请求已处理" and panel.table.rowCount() == 1

        async with hub.hub.db.session() as s:
            actions = list(await s.scalars(select(AuditEntry.action)))
        assert actions.count("callback.reveal") == 1 and actions.count("callback.done") == 1
        await tab.close()
        tabs.close()
    finally:
        await kiosk.close()
        await officer.close()
        qapp.setStyleSheet(old_style)
