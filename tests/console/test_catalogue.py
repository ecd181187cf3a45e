"""The console's 事项目录 tab against a real hub: dry-run diff, problems, confirmed import."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from PySide6.QtWidgets import QTabWidget
from pytestqt.qtbot import QtBot

from backoffice_console.ui.catalogue_tab import CatalogueTab, install_catalogue_tab
from shared.catalogue.io import dump_csv, dump_json, load_sample
from shared.hubclient import HubClient
from shared.protocol import Role
from shared.ui.screenshot import save_screenshot
from tests.support.hub_fixtures import PASSWORD, WAIT, HubHarness
from tests.support.qt_helpers import styled_app_fixture  # noqa: F401


async def _ignore(_: object) -> None:
    return None


async def test_catalogue_tab_checks_then_imports(
    hub: HubHarness, qtbot: QtBot, tmp_path: Path, test_output: Path
) -> None:
    await hub.user("admin", Role.ADMIN)
    client = HubClient(hub.url, hub.ca, _ignore)
    sample = load_sample()
    matters = [m for m in sample.matters if m.code != "legal.flzx"]
    matters[0] = matters[0].model_copy(update={"name": "低保申请（新）"})
    new = sample.model_copy(update={"version": "2026.12", "sample": False, "matters": matters})
    good = tmp_path / "2026.12.csv"
    good.write_bytes(dump_csv(new))
    raw = json.loads(dump_json(new))
    raw["matters"][1]["code"] = raw["matters"][0]["code"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    try:
        await asyncio.wait_for(client.login_officer("admin", PASSWORD), WAIT)
        assert install_catalogue_tab(QTabWidget(), "supervisor", lambda: client) is None
        tabs = QTabWidget()
        qtbot.addWidget(tabs)
        chosen: list[Path] = [bad, good]
        tab = CatalogueTab(tabs, lambda: client, open_path=lambda: chosen.pop(0))
        panel = tab.panel
        await asyncio.wait_for(tab.refresh(), WAIT)
        first_id, label, count = await tab.controller.current()
        assert label == "2026.11-sample" and str(first_id) in panel.current.text()

        await asyncio.wait_for(tab.check(bad), WAIT)
        assert panel.summary.text() == "文件有 1 处问题，未导入："
        assert "matters[1].code: duplicate matter code" in panel.details.item(0).text()
        assert not panel.import_button.isEnabled() and tab.checked is None

        await asyncio.wait_for(tab.check(good), WAIT)
        assert panel.summary.text() == "2026.11-sample -> 2026.12: matters -1 ~1"
        lines = [panel.details.item(i).text() for i in range(panel.details.count())]
        assert lines == ["- matter legal.flzx", f"~ matter {matters[0].code}: name"]
        assert panel.import_button.isEnabled()
        assert (await tab.controller.current())[0] == first_id, "a check imports nothing"
        tabs.resize(900, 420)
        tabs.show()
        save_screenshot(tabs, test_output / "catalogue_tab_check.png")

        await asyncio.wait_for(tab.confirm(), WAIT)
        new_id, label, count = await tab.controller.current()
        assert new_id != first_id and label == "2026.12" and count == len(matters)
        assert not panel.import_button.isEnabled()
        assert panel.message.text().startswith("已导入：")
        assert "2026.12" in panel.current.text()
        save_screenshot(tabs, test_output / "catalogue_tab_imported.png")
        await tab.close()
    finally:
        await asyncio.wait_for(client.close(), WAIT)
