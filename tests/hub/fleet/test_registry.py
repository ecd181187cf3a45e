"""Fleet registry through a real hub: history at past dates, hours, devices, GeoJSON, overview."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from backoffice_console.hub.fleet.models import FleetDevice, FleetHourRule, FleetInstall
from shared.protocol import Role
from tests.hub.fleet.test_routes import (
    count,
    get,
    kiosk_id,
    point_id_of,
    post,
    refused,
    report,
    today,
)
from tests.support.hub_fixtures import WAIT, HubHarness

SCHEMA = json.loads((Path(__file__).parent / "data" / "fleet_geojson.schema.json").read_text())


def new_point(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "committee",
        "name": name,
        "address": "长安路1号",
        "sub_district": "城关街道",
        "longitude": 116.397,
        "latitude": 39.909,
        "contact": "010-6512 3456",
    } | extra


async def test_history_as_of_today_and_tomorrow(hub: HubHarness) -> None:
    admin = await hub.officer("admin", Role.ADMIN)
    created = await post(admin, "/api/v1/fleet/points", new_point("东门社区"))
    pid = created["point_id"]
    day, tomorrow = today(), today() + dt.timedelta(days=1)
    change = {"effective": tomorrow.isoformat(), "address": "长安路99号", "reason": "搬迁"}
    await post(admin, f"/api/v1/fleet/points/{pid}/changes", change)

    def the_point(rows: list[dict[str, Any]]) -> dict[str, Any]:
        return next(r for r in rows if r["point_id"] == pid)

    now = the_point(await get(admin, "/api/v1/fleet/points", at=day.isoformat()))
    later = the_point(await get(admin, "/api/v1/fleet/points", at=tomorrow.isoformat()))
    default = the_point(await get(admin, "/api/v1/fleet/points"))
    assert now["address"] == default["address"] == "长安路1号"
    assert later["address"] == "长安路99号" and later["reason"] == "搬迁"
    assert later["name"] == now["name"] == "东门社区" and later["latitude"] == 39.909
    yesterday = (day - dt.timedelta(days=1)).isoformat()
    assert all(r["point_id"] != pid for r in await get(admin, "/api/v1/fleet/points", at=yesterday))

    history = await get(admin, f"/api/v1/fleet/points/{pid}/history")
    assert [(v["valid_from"], v["valid_to"]) for v in history] == [
        (day.isoformat(), tomorrow.isoformat()),
        (tomorrow.isoformat(), None),
    ]
    assert all(v["changed_by"] is not None for v in history)

    # Bad input changes nothing: a change before the latest version, bad coordinates,
    # an unknown kind, an unknown point, a bad date, nothing to change.
    path = f"/api/v1/fleet/points/{pid}/changes"
    assert (await refused(admin, path, {"effective": day.isoformat(), "address": "x"})).code == (
        "conflict"
    )
    assert (
        await refused(admin, path, {"effective": tomorrow.isoformat(), "latitude": 91})
    ).code == ("bad_message")
    assert (
        await refused(admin, path, {"effective": tomorrow.isoformat(), "kind": "mall"})
    ).code == ("bad_message")
    assert (await refused(admin, path, {"effective": tomorrow.isoformat()})).code == "bad_message"
    err = await refused(
        admin,
        "/api/v1/fleet/points/9999/changes",
        {"effective": tomorrow.isoformat(), "address": "x"},
    )
    assert err.code == "not_found"
    with pytest.raises(Exception, match="bad_message"):
        await get(admin, "/api/v1/fleet/points", at="tomorrow")
    assert len(await get(admin, f"/api/v1/fleet/points/{pid}/history")) == 2
    assert (await refused(admin, "/api/v1/fleet/points", new_point("东门社区"))).code == "conflict"

    # Points made by enrolment get a first version too.
    kiosk = await hub.kiosk("K1")
    enrolled = await point_id_of(hub, kiosk)
    history = await get(admin, f"/api/v1/fleet/points/{enrolled}/history")
    assert len(history) == 1 and history[0]["status"] == "open"


async def test_overlapping_hours_are_refused_and_change_nothing(hub: HubHarness) -> None:
    admin = await hub.officer("admin", Role.ADMIN)
    pid = (await post(admin, "/api/v1/fleet/points", new_point("西门社区")))["point_id"]
    path = f"/api/v1/fleet/points/{pid}/hours"
    await post(admin, path, {"kind": "weekly", "weekday": 0, "opens": "09:00", "closes": "12:00"})
    await post(admin, path, {"kind": "weekly", "weekday": 0, "opens": "12:00", "closes": "17:00"})
    await post(admin, path, {"kind": "weekly", "weekday": 1, "opens": "10:00", "closes": "16:00"})
    err = await refused(
        admin, path, {"kind": "weekly", "weekday": 0, "opens": "11:30", "closes": "13:00"}
    )
    assert err.code == "conflict" and "overlaps" in err.message and "09:00-12:00" in err.message
    holiday = (today() + dt.timedelta(days=3)).isoformat()
    await post(admin, path, {"kind": "closed", "day": holiday})
    err = await refused(
        admin, path, {"kind": "special", "day": holiday, "opens": "09:00", "closes": "10:00"}
    )
    assert err.code == "conflict"
    assert (await refused(admin, path, {"kind": "closed", "day": holiday})).code == "conflict"
    for bad in (
        {"kind": "weekly", "weekday": 2, "opens": "25:00", "closes": "26:00"},
        {"kind": "weekly", "weekday": 2, "opens": "17:00", "closes": "09:00"},
        {"kind": "weekly", "weekday": 7, "opens": "09:00", "closes": "10:00"},
        {"kind": "weekly", "day": holiday, "opens": "09:00", "closes": "10:00"},
        {"kind": "closed", "day": holiday, "opens": "09:00"},
        {"kind": "special", "opens": "09:00", "closes": "10:00"},
    ):
        assert (await refused(admin, path, bad)).code == "bad_message", bad
    rules = await get(admin, path)
    assert len(rules) == 4 and await count(hub, FleetHourRule) == 4
    # Every day of the year: the holiday is closed, Mondays have their two spans.
    year = await get(admin, f"/api/v1/fleet/points/{pid}/calendar", days="366")
    assert len(year) == 366 and year[0]["date"] == today().isoformat()
    by_date = {d["date"]: d["open"] for d in year}
    assert by_date[holiday] == []
    mondays = [d["open"] for d in year if dt.date.fromisoformat(d["date"]).weekday() == 0]
    filled = [m for m in mondays if m]  # the holiday may fall on a Monday
    assert len(filled) >= 51 and all(m == [["09:00", "12:00"], ["12:00", "17:00"]] for m in filled)
    with pytest.raises(Exception, match="bad_message"):
        await get(admin, f"/api/v1/fleet/points/{pid}/calendar", days="367")
    # Deleting a rule frees its slot.
    first = rules[0]["id"]
    await post(admin, f"/api/v1/fleet/hours/{first}/delete", {})
    await post(admin, path, {"kind": "weekly", "weekday": 0, "opens": "11:30", "closes": "12:00"})
    assert (await refused(admin, "/api/v1/fleet/hours/9999/delete", {})).code == "not_found"


async def test_device_moved_between_points_keeps_its_history(hub: HubHarness) -> None:
    tech = await hub.officer("tech", Role.TECHNICIAN)
    admin = await hub.officer("admin", Role.ADMIN)
    a = (await post(admin, "/api/v1/fleet/points", new_point("甲社区")))["point_id"]
    b = (await post(admin, "/api/v1/fleet/points", new_point("乙公园", kind="park")))["point_id"]
    body = {"point_id": a, "kind": "printer", "model": "HP M404", "serial": "PRN-001"}
    device = await post(tech, "/api/v1/fleet/devices", body)
    assert device["point_id"] == a and len(device["history"]) == 1
    moved = await post(tech, f"/api/v1/fleet/devices/{device['id']}/move", {"point_id": b})
    assert moved["point_id"] == b
    first, second = moved["history"]
    assert first["point_id"] == a and first["removed_at"] is not None
    assert second["point_id"] == b and second["removed_at"] is None
    assert first["removed_at"] == second["installed_at"]
    assert await get(tech, f"/api/v1/fleet/points/{a}/devices") == []
    assert [d["serial"] for d in await get(tech, f"/api/v1/fleet/points/{b}/devices")] == [
        "PRN-001"
    ]

    # A second device with the same serial, a move to where it is, to nowhere: refused.
    assert (await refused(tech, "/api/v1/fleet/devices", body)).code == "conflict"
    move = f"/api/v1/fleet/devices/{device['id']}/move"
    assert (await refused(tech, move, {"point_id": b})).code == "conflict"
    assert (await refused(tech, move, {"point_id": 9999})).code == "not_found"
    assert (await refused(tech, "/api/v1/fleet/devices/9999/move", {"point_id": a})).code == (
        "not_found"
    )
    assert await count(hub, FleetDevice) == 1 and await count(hub, FleetInstall) == 2


async def test_geojson_lists_open_points_valid_against_the_schema(hub: HubHarness) -> None:
    admin = await hub.officer("admin", Role.ADMIN)
    ids = {}
    for name, extra in (
        ("开放社区", {}),
        ("无坐标社区", {"longitude": None, "latitude": None}),
        ("放假公园", {"kind": "park", "longitude": -73.98, "latitude": 40.75}),
        ("关闭楼宇", {"kind": "building"}),
        ("党群中心", {"kind": "party_mass_centre", "longitude": 121.47, "latitude": 31.23}),
    ):
        ids[name] = (await post(admin, "/api/v1/fleet/points", new_point(name, **extra)))[
            "point_id"
        ]
    day = today()
    await post(
        admin,
        f"/api/v1/fleet/points/{ids['放假公园']}/hours",
        {"kind": "closed", "day": day.isoformat()},
    )
    await post(
        admin,
        f"/api/v1/fleet/points/{ids['关闭楼宇']}/changes",
        {"effective": day.isoformat(), "status": "closed", "reason": "拆除"},
    )
    weekly = {"kind": "weekly", "weekday": day.weekday(), "opens": "08:30", "closes": "17:30"}
    await post(admin, f"/api/v1/fleet/points/{ids['党群中心']}/hours", weekly)

    collection = await get(admin, "/api/v1/fleet/geojson")
    jsonschema.validate(collection, SCHEMA, format_checker=jsonschema.FormatChecker())
    names = sorted(f["properties"]["name"] for f in collection["features"])
    assert names == ["党群中心", "开放社区"]
    for feature in collection["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90
    centre = next(f for f in collection["features"] if f["id"] == ids["党群中心"])
    assert centre["geometry"]["coordinates"] == [121.47, 31.23]  # [lon, lat] order (RFC 7946)
    assert centre["properties"]["hours"][0] == {
        "date": day.isoformat(),
        "open": [["08:30", "17:30"]],
    }
    assert centre["properties"]["hours"][1]["open"] == []  # no rule for tomorrow's weekday
    # The schema has teeth: swapped or out-of-range coordinates fail it.
    broken = json.loads(json.dumps(collection))
    broken["features"][0]["geometry"]["coordinates"] = [200.0, 10.0]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


async def test_inspections_due_and_recorded(hub: HubHarness) -> None:
    tech = await hub.officer("tech", Role.TECHNICIAN)
    kiosk = await hub.kiosk("K1")
    pid = await point_id_of(hub, kiosk)
    path = f"/api/v1/fleet/points/{pid}/inspections"
    overdue = (today() - dt.timedelta(days=2)).isoformat()
    far = (today() + dt.timedelta(days=60)).isoformat()
    items = ["屏幕清洁", "打印纸", "读卡器"]
    late = await post(tech, path, {"title": "月检", "checklist": items, "due_on": overdue})
    await post(tech, path, {"title": "季检", "checklist": items, "due_on": far})
    assert (
        await refused(tech, path, {"title": "x", "checklist": ["a", "a"], "due_on": far})
    ).code == "bad_message"
    assert (await refused(tech, path, {"title": "x", "checklist": [], "due_on": far})).code == (
        "bad_message"
    )
    due = await get(tech, "/api/v1/fleet/inspections/due")
    assert [d["title"] for d in due] == ["月检"] and due[0]["overdue"] is True
    record = f"/api/v1/fleet/inspections/{late['id']}/record"
    err = await refused(tech, record, {"results": {"屏幕清洁": True}})
    assert err.code == "bad_message" and "missing" in err.message
    done = await post(tech, record, {"results": dict.fromkeys(items, True), "note": "正常"})
    assert done["done_at"] and done["done_by"] is not None and done["overdue"] is False
    assert (await refused(tech, record, {"results": dict.fromkeys(items, True)})).code == "conflict"
    assert await get(tech, "/api/v1/fleet/inspections/due") == []
    assert len(await get(tech, "/api/v1/fleet/inspections/due", within_days="90")) == 1


async def test_overview_offline_first_with_failed_parts_and_orders(hub: HubHarness) -> None:
    tech = await hub.officer("tech", Role.TECHNICIAN)
    online = await hub.kiosk("K-on", point="南门社区")
    gone = await hub.kiosk("K-off", point="北门社区")
    await post(online, "/api/v1/fleet/health", report("printer"))
    await asyncio.wait_for(gone.close(), WAIT)
    hub.peers.remove(gone)
    off_id = await kiosk_id(hub, "K-off")

    async def offline_first() -> list[dict[str, Any]]:
        async with asyncio.timeout(WAIT):
            while True:  # the hub notices the closed websocket shortly after
                rows = await get(tech, "/api/v1/fleet/overview")
                if rows and rows[0]["kiosks"] and not rows[0]["kiosks"][0]["online"]:
                    return rows
                await asyncio.sleep(0.05)

    rows = await offline_first()
    assert [r["name"] for r in rows] == ["北门社区", "南门社区"]
    assert rows[0]["kiosks"][0]["id"] == off_id and rows[0]["offline_since"]
    south = rows[1]
    assert south["kiosks"][0]["online"] is True and south["offline_since"] is None
    assert south["failed_parts"] == ["printer"] and south["open_orders"] == 1
    assert rows[0]["open_orders"] == 0 and rows[0]["failed_parts"] == []
    # Each kiosk's software version, from its latest health report (none sent: None).
    assert south["kiosks"][0]["version"] == "1.2.3" and rows[0]["kiosks"][0]["version"] is None
    assert await get(tech, "/api/v1/fleet/overview", sub_district="城关街道") == []

    # A manual work order: at the point, for its kiosk only.
    body = {"point_id": south["point_id"], "kiosk_id": off_id, "summary": "屏幕有划痕"}
    assert (await refused(tech, "/api/v1/fleet/work-orders", body)).code == "bad_message"
    body["kiosk_id"] = south["kiosks"][0]["id"]
    order = await post(tech, "/api/v1/fleet/work-orders", body)
    assert order["source"] == "manual" and order["opened_by"] is not None
    listed = await get(tech, "/api/v1/fleet/work-orders", point_id=str(south["point_id"]))
    assert len(listed) == 2
    with pytest.raises(Exception, match="bad_message"):
        await get(tech, "/api/v1/fleet/work-orders", state="sideways")
