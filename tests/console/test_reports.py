"""The console's 报表 tab against a real hub: load, table, CSV and PDF export, screenshot."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QTabWidget
from pytestqt.qtbot import QtBot

from backoffice_console.reports import ReportQuery, ReportsController, ReportsError
from backoffice_console.ui.reports_tab import ReportsTab, install_reports_tab
from shared import i18n
from shared.hubclient import HubClient
from shared.protocol import Role
from shared.ui.screenshot import save_screenshot
from tests.hub.reports.test_routes import D1, D2, IN_PERIOD, _scenario
from tests.support.hub_fixtures import PASSWORD, WAIT, HubHarness
from tests.support.qt_helpers import styled_app_fixture  # noqa: F401


async def _ignore(_: object) -> None:
    return None


async def test_reports_tab_loads_and_exports(
    hub: HubHarness, qtbot: QtBot, tmp_path: Path, test_output: Path
) -> None:
    await _scenario(hub)
    client = HubClient(hub.url, hub.ca, _ignore)
    try:
        await asyncio.wait_for(client.login_officer("sup", PASSWORD), WAIT)
        tabs = QTabWidget()
        qtbot.addWidget(tabs)
        saved_to: list[str] = []

        def save_as(name: str, kind: str) -> Path:
            saved_to.append(name)
            return tmp_path / f"out.{kind}"

        tab = ReportsTab(tabs, lambda: client, save_as=save_as)
        assert install_reports_tab(QTabWidget(), "technician", lambda: client) is None
        assert tabs.tabText(0) == "报表"
        panel = tab.panel
        assert not panel.csv_button.isEnabled(), "nothing to export before a report is shown"
        panel.start.setDate(QDate(D1.year, D1.month, D1.day))
        panel.end.setDate(QDate(D2.year, D2.month, D2.day))
        panel.by.setCurrentIndex(1)  # 按服务点
        query = panel.query()
        assert query == ReportQuery(D1, D2, "point")

        await asyncio.wait_for(tab.load(query), WAIT)
        table = panel.table
        assert table.rowCount() == 3  # two points and the total

        def cell(r: int, c: int) -> str:
            item = table.item(r, c)
            assert item is not None
            return item.text()

        assert [cell(r, 0) for r in range(3)] == ["东湖社区", "西山公园服务点", "合计"]
        assert cell(2, 1) == str(len(IN_PERIOD))
        assert panel.summary.text() == f"共 {len(IN_PERIOD)} 件"
        assert panel.csv_button.isEnabled()

        csv_path = await asyncio.wait_for(tab.export(query, "csv"), WAIT)
        assert csv_path == tmp_path / "out.csv" and saved_to[0].endswith("-point.csv")
        rows = list(csv.reader(io.StringIO(csv_path.read_text("utf-8-sig"))))
        assert rows[-1][0] == "合计" and rows[-1][1] == str(len(IN_PERIOD))
        pdf_path = await asyncio.wait_for(tab.export(query, "pdf"), WAIT * 2)
        assert pdf_path is not None and pdf_path.read_bytes().startswith(b"%PDF")
        assert panel.message.text() == "已保存：out.pdf"

        tabs.resize(1200, 420)
        tabs.show()
        save_screenshot(tabs, test_output / "reports_tab.png")

        # A period that ends before it starts: refused before asking the hub.
        bad = ReportQuery(D2, D1, "day")
        with pytest.raises(ReportsError) as info:
            await tab.controller.load(bad)
        assert info.value.key == "error.period"
        await asyncio.wait_for(tab.load(bad), WAIT)
        assert panel.message.text() == i18n.tr("reports", "error.period")
        assert table.rowCount() == 3, "the shown report stays"
        await tab.close()
    finally:
        await asyncio.wait_for(client.close(), WAIT)


async def test_controller_without_hub_or_rights(hub: HubHarness) -> None:
    offline = ReportsController(lambda: None)
    with pytest.raises(ReportsError) as info:
        await offline.load(ReportQuery(dt.date(2026, 1, 1), dt.date(2026, 1, 1)))
    assert info.value.key == "error.offline"
    await hub.user("tech", Role.TECHNICIAN)
    client = HubClient(hub.url, hub.ca, _ignore)
    try:
        await asyncio.wait_for(client.login_officer("tech", PASSWORD), WAIT)
        controller = ReportsController(lambda: client)
        for action in (
            controller.load(ReportQuery(D1, D2)),
            controller.fetch(ReportQuery(D1, D2), "pdf"),
        ):
            with pytest.raises(ReportsError) as info:
                await asyncio.wait_for(action, WAIT)
            assert info.value.key == "error.forbidden"
    finally:
        await asyncio.wait_for(client.close(), WAIT)
