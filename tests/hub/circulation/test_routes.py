"""Material circulation through a real hub: the slip opens it, scans move it hop by hop."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import select

from backoffice_console.hub.cases import ProgressAsked
from backoffice_console.hub.cases.models import CaseEvent
from backoffice_console.hub.circulation.models import Circulation, CirculationHop
from backoffice_console.hub.circulation.service import (
    CIRCULATION_KEY,
    CirculationService,
    code_from_scan,
)
from backoffice_console.hub.core.models import AuditEntry
from shared.protocol import Role, SessionEnd
from tests.hub.identity.test_routes import req
from tests.support.evaluation_helpers import case_for, live_call, logged_in, raw_call, refused
from tests.support.hub_fixtures import WAIT, HubHarness, Peer

SCAN = "/api/v1/circulation/scan"


async def rows(hub: HubHarness, model: type) -> list[Any]:
    async with hub.hub.db.session() as s:
        return list(await s.scalars(select(model).order_by(model.id)))  # type: ignore[attr-defined]


async def wait(call: Any) -> Any:
    return await asyncio.wait_for(call, WAIT * 2)


async def slip_call(
    hub: HubHarness, name: str, pair: tuple[Peer, Peer] | None = None
) -> tuple[Peer, Peer, str, Circulation]:
    """A call in which the officer printed a transmittal slip, then hung up."""
    officer, kiosk, sid = await live_call(hub, name, pair)
    await case_for(hub, sid)
    await wait(officer.client.post_json(f"/api/v1/sessions/{sid}/documents", {"kind": "slip"}))
    await req(officer, SessionEnd(session_id=sid))
    (circ,) = [c for c in await rows(hub, Circulation) if c.session_id == sid]
    return officer, kiosk, sid, circ


def scan(code: str, hop: str, note: str = "") -> dict[str, str]:
    return {"code": code, "hop": hop, "note": note}


async def test_happy_path_from_point_to_resident(hub: HubHarness) -> None:
    officer, kiosk, sid, circ = await slip_call(hub, "c1")
    assert circ.state == "issued" and circ.code.startswith("LZ-") and circ.items
    qr_text = f"RVW-SLIP:{circ.code}:{circ.case_no}"
    assert code_from_scan(qr_text) == circ.code

    # A reprint of the slip keeps the one circulation.
    await_reprint = officer.client.post_json(f"/api/v1/sessions/{sid}/documents", {"kind": "slip"})
    assert (await refused(await_reprint)).code in ("not_in_session", "bad_state")
    assert len(await rows(hub, Circulation)) == 1

    listed = await wait(officer.client.get_json("/api/v1/circulation"))
    assert [(c["code"], c["state"], c["next"]) for c in listed] == [
        (circ.code, "issued", "at_point")
    ]
    steps: list[tuple[Peer, str]] = [
        (kiosk, "at_point"),
        (officer, "with_courier"),
        (officer, "at_centre"),
        (kiosk, "returned_to_point"),
        (kiosk, "returned_to_resident"),
    ]
    for who, hop in steps:
        # The kiosk scans the QR text, the console operator types the bare code.
        code = qr_text if who is kiosk else circ.code
        done = await wait(who.client.post_json(SCAN, scan(code, hop, f"hop {hop}")))
        assert done["state"] == hop
        if hop == "with_courier":  # the resident's progress look-up says where they are
            case = await case_for(hub, sid)
            asked = ProgressAsked(case)
            await hub.hub.core.bus.publish(asked)
            originals = asked.extras["originals"]
            assert [(o["code"], o["state"], o["overdue"]) for o in originals] == [
                (circ.code, "with_courier", False)
            ]
    detail = await wait(officer.client.get_json(f"/api/v1/circulation/{circ.code}"))
    assert [h["hop"] for h in detail["hops"]] == [hop for _, hop in steps]
    assert [h["by_kind"] for h in detail["hops"]] == [
        "device", "user", "user", "device", "device"
    ]  # fmt: skip
    assert detail["hops"][0]["note"] == "hop at_point" and detail["next"] is None
    assert await wait(officer.client.get_json("/api/v1/circulation")) == []  # finished
    events = [e.detail.get("hop") for e in await rows(hub, CaseEvent) if e.kind == "circulation"]
    assert events == [hop for _, hop in steps]
    audits = [a for a in await rows(hub, AuditEntry) if a.action == "circulation.scan"]
    assert len(audits) == 5


async def test_out_of_order_unknown_forbidden_and_overdue(hub: HubHarness) -> None:
    officer, kiosk, _, circ = await slip_call(hub, "c2")

    status, body = await raw_call(hub, officer, "POST", SCAN, scan(circ.code, "at_centre"))
    assert status == 409 and body["code"] == "conflict"
    assert (body["state"], body["expected"]) == ("issued", "at_point")
    status, body = await raw_call(hub, officer, "POST", SCAN, scan("LZ-NOPE", "at_point"))
    assert (status, body["code"]) == (404, "not_found")
    for bad in (scan(circ.code, "lost"), {"code": "", "hop": "at_point"}, {"code": circ.code}):
        status, _ = await raw_call(hub, officer, "POST", SCAN, bad)
        assert status == 400, bad
    # A kiosk records only hops at its point, and only its own point's slips.
    status, body = await raw_call(hub, kiosk, "POST", SCAN, scan(circ.code, "with_courier"))
    assert status == 403
    elsewhere = await hub.kiosk("K-far", point="另一个社区")
    status, _ = await raw_call(hub, elsewhere, "POST", SCAN, scan(circ.code, "at_point"))
    assert status == 403
    tech = await logged_in(hub, "tech", Role.TECHNICIAN)
    status, _ = await raw_call(hub, tech, "POST", SCAN, scan(circ.code, "at_point"))
    assert status == 403
    assert (await refused(tech.client.get_json("/api/v1/circulation"))).code == "forbidden"

    (row,) = await rows(hub, Circulation)
    assert row.state == "issued" and await rows(hub, CirculationHop) == []
    # After the right hop, repeating it is out of order too.
    await wait(kiosk.client.post_json(SCAN, scan(circ.code, "at_point")))
    status, body = await raw_call(hub, kiosk, "POST", SCAN, scan(circ.code, "at_point"))
    assert status == 409 and (body["state"], body["expected"]) == ("at_point", "with_courier")
    assert len(await rows(hub, CirculationHop)) == 1

    # Overdue: the circulation above waits at the point, a second slip is not scanned yet.
    svc: CirculationService = hub.app[CIRCULATION_KEY]
    first = circ
    await kiosk.skip_to("session.ended")
    _, _, _, second = await slip_call(hub, "c2", (officer, kiosk))
    listed = await wait(officer.client.get_json("/api/v1/circulation"))
    assert [c["overdue"] for c in listed] == [False, False]
    assert await wait(officer.client.get_json("/api/v1/circulation", overdue="1")) == []

    # Four working days on: "issued" (limit 1) is overdue, "at_point" (limit 2) too;
    # with the at_point limit raised, only the unscanned slip is.
    today = dt.datetime.now(dt.UTC).astimezone().date()
    later = svc.calendar.add_workdays(today, 4)
    svc.clock = lambda: dt.datetime.combine(later, dt.time(12)).astimezone()
    svc.limits["at_point"] = 10
    flagged = await wait(officer.client.get_json("/api/v1/circulation", overdue="1"))
    assert [c["code"] for c in flagged] == [second.code]
    everything = await wait(officer.client.get_json("/api/v1/circulation"))
    assert [(c["code"], c["overdue"]) for c in everything] == [
        (second.code, True),
        (first.code, False),
    ]
