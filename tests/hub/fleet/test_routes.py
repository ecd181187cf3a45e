"""Fleet registry through a real hub: service status, health and work orders, closed points."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, update

from backoffice_console.hub.accounts.models import Kiosk
from backoffice_console.hub.fleet.models import FleetHealthReport, FleetWorkOrder
from shared.hubclient import HubAuthError, HubClient, HubRequestError
from shared.protocol import QueueJoin, Role, SessionEnd
from tests.hub.identity.test_routes import in_call, req
from tests.support.hub_fixtures import WAIT, HubHarness, Peer

POINT = "某某社区居委会"  # the point hub.kiosk() enrols at


def today() -> dt.date:
    return dt.datetime.now().astimezone().date()


async def get(peer: Peer, path: str, **params: str) -> Any:
    return await asyncio.wait_for(peer.client.get_json(path, **params), WAIT)


async def post(peer: Peer, path: str, body: dict[str, Any]) -> Any:
    return await asyncio.wait_for(peer.client.post_json(path, body), WAIT)


async def refused(peer: Peer, path: str, body: dict[str, Any]) -> HubRequestError:
    with pytest.raises(HubRequestError) as err:
        await post(peer, path, body)
    return err.value


def report(*failed: str, ok: tuple[str, ...] = ("screens", "hub")) -> dict[str, Any]:
    checks: list[dict[str, Any]] = [
        {"part": p, "status": "ok", "value": "1", "message": "fine"} for p in ok
    ]
    checks += [
        {"part": p, "status": "failed", "value": None, "message": f"{p} offline"} for p in failed
    ]
    now = dt.datetime.now(dt.UTC).isoformat()
    return {"at": now, "software_version": "1.2.3", "checks": checks}


async def point_id_of(hub: HubHarness, kiosk: Peer) -> int:
    service = await get(kiosk, "/api/v1/kiosk/service")
    return int(service["point"]["id"])


async def kiosk_id(hub: HubHarness, name: str) -> int:
    async with hub.hub.db.session() as s:
        found = await s.scalar(select(Kiosk.id).where(Kiosk.name == name))
    assert found is not None
    return int(found)


async def count(hub: HubHarness, model: Any) -> int:
    async with hub.hub.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_kiosk_service_open_holiday_and_closed(hub: HubHarness) -> None:
    admin = await hub.officer("admin", Role.ADMIN)
    kiosk = await hub.kiosk("K1")
    service = await get(kiosk, "/api/v1/kiosk/service")
    # No hour rules: open all day.
    assert service["point"]["name"] == POINT and service["closed"] is False
    assert service["open_now"] is True and service["hours_today"] == [["00:00", "24:00"]]
    assert service["next_open"] is None
    pid = service["point"]["id"]

    day = today()
    rule = {"kind": "weekly", "weekday": day.weekday(), "opens": "00:00", "closes": "24:00"}
    await post(admin, f"/api/v1/fleet/points/{pid}/hours", rule)
    assert (await get(kiosk, "/api/v1/kiosk/service"))["open_now"] is True

    # A holiday today: closed all day; the next opening is the same weekday next week.
    holiday = {"kind": "closed", "day": day.isoformat(), "note": "国庆"}
    await post(admin, f"/api/v1/fleet/points/{pid}/hours", holiday)
    service = await get(kiosk, "/api/v1/kiosk/service")
    assert service["closed"] is False and service["open_now"] is False
    assert service["hours_today"] == []
    next_open = dt.datetime.fromisoformat(service["next_open"])
    assert next_open.date() == day + dt.timedelta(days=7) and next_open.hour == 0

    # The point itself closed (from today): closed, no hours, no next opening.
    change = {"effective": day.isoformat(), "status": "closed", "reason": "装修"}
    await post(admin, f"/api/v1/fleet/points/{pid}/changes", change)
    service = await get(kiosk, "/api/v1/kiosk/service")
    assert service == {
        "point": {"id": pid, "name": POINT},
        "open_now": False,
        "hours_today": [],
        "next_open": None,
        "closed": True,
    }
    # Closing needs a reason; officers may not use the fleet endpoints at all.
    err = await refused(
        admin,
        f"/api/v1/fleet/points/{pid}/changes",
        {"effective": day.isoformat(), "status": "closed"},
    )
    assert err.code == "bad_message" and "reason" in err.message
    officer = await hub.officer("o1")
    assert (await refused(officer, "/api/v1/fleet/points", {"kind": "park", "name": "x"})).code == (
        "forbidden"
    )


async def test_failed_printer_opens_one_work_order_closed_with_note(hub: HubHarness) -> None:
    tech = await hub.officer("tech", Role.TECHNICIAN)
    kiosk = await hub.kiosk("K1")
    first = await post(kiosk, "/api/v1/fleet/health", report("printer"))
    assert first["failed"] == ["printer"] and len(first["work_orders_opened"]) == 1
    # The kiosk reports again, still failed (and now its reader too): no duplicate printer order.
    second = await post(kiosk, "/api/v1/fleet/health", report("printer", "idcard"))
    assert second["failed"] == ["idcard", "printer"] and len(second["work_orders_opened"]) == 1
    orders = await get(tech, "/api/v1/fleet/work-orders")
    assert sorted(o["part"] for o in orders) == ["idcard", "printer"]
    printer = next(o for o in orders if o["part"] == "printer")
    assert printer["source"] == "health" and printer["summary"] == "printer: printer offline"
    assert printer["point_name"] == POINT and printer["closed_at"] is None
    assert await count(hub, FleetHealthReport) == 2

    # Closing needs a note; a bad close changes nothing.
    err = await refused(tech, f"/api/v1/fleet/work-orders/{printer['id']}/close", {"note": ""})
    assert err.code == "bad_message"
    assert len(await get(tech, "/api/v1/fleet/work-orders")) == 2
    closed = await post(
        tech, f"/api/v1/fleet/work-orders/{printer['id']}/close", {"note": "换了定影器"}
    )
    assert closed["close_note"] == "换了定影器" and closed["closed_at"] is not None
    again = await refused(tech, f"/api/v1/fleet/work-orders/{printer['id']}/close", {"note": "x"})
    assert again.code == "conflict"
    assert [o["part"] for o in await get(tech, "/api/v1/fleet/work-orders")] == ["idcard"]
    # Once closed, a new failure of the same part opens a new order.
    third = await post(kiosk, "/api/v1/fleet/health", report("printer", "idcard"))
    assert len(third["work_orders_opened"]) == 1
    assert await count(hub, FleetWorkOrder) == 3

    history = await get(tech, f"/api/v1/fleet/kiosks/{await kiosk_id(hub, 'K1')}/health")
    assert history[0]["failed"] == ["idcard", "printer"] and len(history) == 3


async def test_bad_health_reports_change_nothing(hub: HubHarness) -> None:
    kiosk = await hub.kiosk("K1")
    bad = report("printer")
    bad["checks"] = []
    err = await refused(kiosk, "/api/v1/fleet/health", bad)
    assert err.code == "bad_message"
    bad = report("printer")
    bad["checks"][0]["status"] = "broken"
    assert (await refused(kiosk, "/api/v1/fleet/health", bad)).code == "bad_message"
    officer = await hub.officer("o1")
    assert (await refused(officer, "/api/v1/fleet/health", report("printer"))).code == "forbidden"
    assert await count(hub, FleetHealthReport) == 0 and await count(hub, FleetWorkOrder) == 0


async def test_unenrolled_and_revoked_kiosks_get_401(hub: HubHarness) -> None:
    stranger = HubClient(hub.url, hub.ca, _ignore)
    try:
        with pytest.raises(HubAuthError):
            await asyncio.wait_for(stranger.post_json("/api/v1/fleet/health", report()), WAIT)
    finally:
        await stranger.close()
    kiosk = await hub.kiosk("K1")
    await post(kiosk, "/api/v1/fleet/health", report())
    async with hub.hub.db.session() as s, s.begin():
        await s.execute(update(Kiosk).values(active=False))  # revoked
    with pytest.raises(HubAuthError):
        await post(kiosk, "/api/v1/fleet/health", report("printer"))
    assert await count(hub, FleetHealthReport) == 1 and await count(hub, FleetWorkOrder) == 0


async def _ignore(_: Any) -> None:
    return None


async def test_closed_point_refuses_queueing_while_the_running_call_goes_on(
    hub: HubHarness,
) -> None:
    admin = await hub.officer("admin", Role.ADMIN)
    officer, kiosk, sid = await in_call(hub)
    other = await hub.kiosk("K2")  # same point
    pid = await point_id_of(hub, kiosk)
    change = {"effective": today().isoformat(), "status": "closed", "reason": "撤点"}
    await post(admin, f"/api/v1/fleet/points/{pid}/changes", change)

    with pytest.raises(HubRequestError) as err:
        await req(other, QueueJoin(matter="civil.dbsq"))
    assert err.value.code == "bad_state" and "closed" in err.value.message
    # The running call is untouched: the officer still holds it and ends it normally.
    health = await get(officer, f"/api/v1/sessions/{sid}/kiosk-health")
    assert health == {"kiosk_id": await kiosk_id(hub, "K-o1"), "received_at": None, "report": None}
    await req(officer, SessionEnd(session_id=sid))
    await kiosk.skip_to("session.ended")
    with pytest.raises(HubRequestError):
        await req(kiosk, QueueJoin(matter="civil.dbsq"))

    # Reopened tomorrow: today it stays closed; the history keeps both versions.
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    await post(
        admin, f"/api/v1/fleet/points/{pid}/changes", {"effective": tomorrow, "status": "open"}
    )
    history = await get(admin, f"/api/v1/fleet/points/{pid}/history")
    assert [v["status"] for v in history] == ["open", "closed", "open"]
    assert history[1]["reason"] == "撤点" and history[1]["valid_to"] == tomorrow


async def test_officer_sees_the_kiosk_health_of_the_session_only_while_holding_it(
    hub: HubHarness,
) -> None:
    officer, kiosk, sid = await in_call(hub)
    await post(kiosk, "/api/v1/fleet/health", report("printer"))
    seen = await get(officer, f"/api/v1/sessions/{sid}/kiosk-health")
    assert seen["kiosk_id"] == await kiosk_id(hub, "K-o1") and seen["received_at"]
    failed = [c["part"] for c in seen["report"]["checks"] if c["status"] == "failed"]
    assert failed == ["printer"]
    stranger = await hub.officer("o2")
    with pytest.raises(HubRequestError) as err:
        await get(stranger, f"/api/v1/sessions/{sid}/kiosk-health")
    assert err.value.code == "not_in_session"
