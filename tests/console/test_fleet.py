"""The console's 设备运维 tab against a real hub: offline first, a failed printer's work order,
a point's history, the sub-district filter and closing an order with a note (screenshots)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QTabWidget

from backoffice_console.fleet import FleetController, FleetError, KioskRow, PointRow
from backoffice_console.ui.fleet_tab import FleetTab, install_fleet_tab
from shared import i18n
from shared.protocol import Role
from shared.ui.fonts import install_cjk_font
from shared.ui.screenshot import save_screenshot
from shared.ui.theme import apply_theme
from tests.hub.fleet.test_routes import get, kiosk_id, post, report, today
from tests.support.hub_fixtures import WAIT, HubHarness


def cells(table: Any, row: int) -> list[str]:
    return [table.item(row, c).text() for c in range(table.columnCount())]


async def settle(tab: FleetTab) -> None:
    """Wait for the tasks the panel's signals started."""
    async with asyncio.timeout(WAIT):
        while len(tab._tasks):  # noqa: ASYNC110 - the tab's tasks have no event
            await asyncio.sleep(0.02)


async def test_fleet_tab_shows_offline_first_and_closes_a_printer_order(
    hub: HubHarness, qapp: QApplication, test_output: Path
) -> None:
    apply_theme(qapp, "desktop", font_family=install_cjk_font(qapp))
    i18n.set_language("zh_CN")
    admin = await hub.officer("admin", Role.ADMIN)
    tech = await hub.officer("tech", Role.TECHNICIAN)
    working = await hub.kiosk("一体机01", point="东湖社区居委会")
    gone = await hub.kiosk("一体机02", point="滨江公园党群服务站")
    await hub.kiosk("一体机03", point="新华大厦便民点")
    for name, district in (
        ("东湖社区居委会", "东湖街道"),
        ("滨江公园党群服务站", "滨江街道"),
        ("新华大厦便民点", "东湖街道"),
    ):
        pid = next(
            p["point_id"] for p in await get(admin, "/api/v1/fleet/points") if p["name"] == name
        )
        await post(
            admin,
            f"/api/v1/fleet/points/{pid}/changes",
            {"effective": today().isoformat(), "sub_district": district},
        )
    await post(working, "/api/v1/fleet/health", report("printer"))
    await asyncio.wait_for(gone.close(), WAIT)
    hub.peers.remove(gone)
    gone_id = await kiosk_id(hub, "一体机02")
    async with asyncio.timeout(WAIT):  # the hub notices the closed socket shortly after
        while (await get(tech, "/api/v1/fleet/overview"))[0]["kiosks"][0][  # noqa: ASYNC110
            "id"
        ] != gone_id:
            await asyncio.sleep(0.05)
    pid = next(
        p["point_id"]
        for p in await get(admin, "/api/v1/fleet/points")
        if p["name"] == "东湖社区居委会"
    )
    await post(
        admin,
        f"/api/v1/fleet/points/{pid}/inspections",
        {"title": "月度巡检", "checklist": ["屏幕", "打印纸"], "due_on": today().isoformat()},
    )

    assert install_fleet_tab(QTabWidget(), "officer", lambda: tech.client) is None
    tabs = QTabWidget()
    tabs.resize(1280, 760)
    tab = install_fleet_tab(tabs, "technician", lambda: tech.client)
    assert tab is not None and tabs.count() == 1
    tabs.show()
    panel = tab.panel
    await tab.load()
    assert panel.points.rowCount() == 3
    first = cells(panel.points, 0)
    assert first[:3] == ["离线", "滨江公园党群服务站", "滨江街道"] and first[3] == "0/1 在线"
    assert first[4]  # offline since
    east = [cells(panel.points, r) for r in (1, 2)]
    faulty = next(row for row in east if row[1] == "东湖社区居委会")
    assert faulty[0] == "故障" and faulty[5] == "打印机" and faulty[6] == "1"
    assert faulty[7] == "1.2.3" and first[7] == "未上报"  # the kiosk's software version
    assert panel.orders.rowCount() == 1
    order = cells(panel.orders, 0)
    assert order[1:3] == ["东湖社区居委会", "打印机"] and "printer offline" in order[3]
    assert panel.inspections.rowCount() == 1 and cells(panel.inspections, 0)[2] == "月度巡检"

    # A point's history beside the list.
    panel.select_point([cells(panel.points, r)[1] for r in range(3)].index("东湖社区居委会"))
    await settle(tab)
    assert panel.history.rowCount() == 2  # enrolled, then given its sub-district
    assert cells(panel.history, 0)[4] == "开放" and "东湖社区居委会" in panel.history_title.text()
    QApplication.processEvents()
    save_screenshot(tabs, test_output / "console-fleet.png")

    # Close with a note: no order selected, no note -> nothing sent.
    closes: list[tuple[int, str]] = []
    panel.close_requested.connect(lambda o, n: closes.append((o, n)))
    panel.close_button.click()
    assert closes == [] and panel.message.text() == "请先选择一张工单"
    panel.select_order(0)
    panel.close_button.click()
    assert closes == [] and panel.message.text() == "请填写处理说明"
    with pytest.raises(FleetError):
        await FleetController(lambda: tech.client).close_order(int(order[0]), "  ")
    panel.note.setText("更换硒鼓，测试页正常")
    panel.close_button.click()
    await settle(tab)
    assert closes == [(int(order[0]), "更换硒鼓，测试页正常")]
    assert panel.orders.rowCount() == 0 and panel.message.text() == f"工单 {order[0]} 已关闭"
    closed = await get(tech, "/api/v1/fleet/work-orders", state="closed")
    assert closed[0]["close_note"] == "更换硒鼓，测试页正常"

    # The sub-district filter keeps the list to one district (and remembers it).
    panel.district.setCurrentIndex(panel.district.findData("东湖街道"))
    panel.refresh_button.click()
    await settle(tab)
    assert sorted(cells(panel.points, r)[1] for r in range(panel.points.rowCount())) == [
        "东湖社区居委会",
        "新华大厦便民点",
    ]
    assert panel.current_district() == "东湖街道"
    # The point whose history is shown stays selected across the reload.
    selected = {i.row() for i in panel.points.selectedIndexes()}
    assert [cells(panel.points, r)[1] for r in selected] == ["东湖社区居委会"]
    QApplication.processEvents()
    save_screenshot(tabs, test_output / "console-fleet-filtered.png")

    # Without a hub the tab says so instead of failing.
    offline = FleetTab(QTabWidget(), lambda: None)
    await offline.load()
    assert offline.panel.message.text() == "未连接中心"
    await tab.close()
    tabs.close()


def test_point_versions_one_when_kiosks_agree_else_each() -> None:
    def row(*kiosks: tuple[str, str | None]) -> PointRow:
        return PointRow(
            1, "点", "community", "街道", "", "open",
            tuple(KioskRow(i, n, True, None, (), v) for i, (n, v) in enumerate(kiosks)),
            (), 0, None,
        )  # fmt: skip

    assert row(("K1", "1.2.3"), ("K2", "1.2.3")).versions("未上报") == "1.2.3"
    assert row(("K1", "1.2.3"), ("K2", None)).versions("未上报") == "K1 1.2.3、K2 未上报"
    assert row().versions("未上报") == ""
