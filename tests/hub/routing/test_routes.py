"""Routing through a real hub: priorities, lines, ticket.next, overdue flags."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select, text

from backoffice_console.hub.calls.models import Ticket
from backoffice_console.hub.core.models import AuditEntry
from shared.hubclient import HubRequestError
from shared.protocol import QueueJoin, Role, TicketTake
from shared.protocol.routing import TicketNext
from tests.support.hub_fixtures import WAIT, HubHarness, Peer, refused, req


async def matter_of(hub: HubHarness, line: str) -> str:
    """A matter code of `line` in the hub's current catalogue."""
    catalogue = await hub.hub.router.catalogue.current()
    assert catalogue is not None, "the hub has no catalogue"
    return catalogue.matters_of(line)[0].code


async def joined(kiosk: Peer, **fields: Any) -> int:
    await req(kiosk, QueueJoin(**fields))
    return int((await kiosk.skip_to("queue.status")).ticket_id)


async def snapshot_of(peer: Peer, count: int) -> list[Any]:
    """The first queue snapshot that shows `count` tickets (every join has been seen)."""
    async with asyncio.timeout(WAIT):
        while len(tickets := (await peer.skip_to("queue.snapshot")).tickets) != count:
            pass
    return list(tickets)


async def test_elderly_priority_from_birth_date_and_no_date_stored(hub: HubHarness) -> None:
    officer = await hub.officer("o1")
    normal, elderly, helped = await hub.kiosk("N"), await hub.kiosk("E"), await hub.kiosk("H")
    today = dt.date.today()
    t_normal = await joined(normal, birth_date=dt.date(today.year - 69, 1, 1))
    t_elderly = await joined(elderly, birth_date=dt.date(today.year - 71, today.month, 1))
    t_helped = await joined(helped, assistance=True)

    tickets = await snapshot_of(officer, 3)
    assert [(t.ticket_id, t.priority) for t in tickets] == [
        (t_elderly, "elderly"),
        (t_helped, "assistance"),
        (t_normal, "normal"),
    ]
    # Only the flag is kept: no column and no audit row holds the birth date.
    async with hub.hub.db.session() as s:
        ticket_row = (await s.execute(text("SELECT * FROM tickets"))).mappings().all()
        audit = list(await s.scalars(select(AuditEntry)))
    dumped = repr(ticket_row) + repr([(a.action, a.detail) for a in audit])
    assert "birth" not in dumped and str(today.year - 71) not in dumped
    assert "birth_date" not in Ticket.__table__.columns

    # A birth date in the future is refused and changes nothing.
    future = await hub.kiosk("F")
    bad = QueueJoin(birth_date=today + dt.timedelta(days=1))
    assert await refused(future, bad) == "bad_message"
    served = [info.ticket_id for _, info in await hub.hub.router.served()]
    assert served == [t_elderly, t_helped, t_normal]


async def test_lines_filter_snapshots_next_and_take(hub: HubHarness) -> None:
    civil, medins = await matter_of(hub, "civil"), await matter_of(hub, "medins")
    admin = await hub.officer("admin", Role.ADMIN)
    o_civil = await hub.officer("oc")
    o_med = await hub.officer("om")
    o_all = await hub.officer("oa")
    ids = {
        row["display_name"]: row["id"]
        for row in await admin.client.get_json("/api/v1/routing/officers")
    }
    uid_civil, uid_med = ids["officer oc"], ids["officer om"]
    assert all(
        row["lines"] == ["*"] for row in await admin.client.get_json("/api/v1/routing/officers")
    )

    # Setting lines: officers may not; unknown lines are refused; nothing changes on error.
    put = "/api/v1/routing/officers/{}/lines"
    with pytest.raises(HubRequestError) as err:
        await o_civil.client._call("PUT", put.format(uid_civil), json={"lines": ["civil"]})
    assert err.value.code == "forbidden"
    with pytest.raises(HubRequestError) as err:
        await admin.client._call("PUT", put.format(uid_civil), json={"lines": ["civil", "nope"]})
    assert err.value.code == "not_found"
    with pytest.raises(HubRequestError) as err:
        await admin.client._call("PUT", put.format(99999), json={"lines": ["civil"]})
    assert err.value.code == "not_found"
    assert await hub.hub.router.lines_of(uid_civil) == ["*"]
    done = await admin.client._call("PUT", put.format(uid_civil), json={"lines": ["civil"]})
    assert done["lines"] == ["civil"]
    await admin.client._call("PUT", put.format(uid_med), json={"lines": ["medins"]})
    qualified = await o_all.client.get_json("/api/v1/routing/officers", line="medins")
    assert {row["id"] for row in qualified} >= {uid_med} and uid_civil not in {
        row["id"] for row in qualified
    }

    k1, k2, k3 = await hub.kiosk("K1"), await hub.kiosk("K2"), await hub.kiosk("K3")
    t_civil = await joined(k1, matter=civil)
    t_med = await joined(k2, matter=medins, assistance=True)
    t_none = await joined(k3)  # no matter: no line, visible to everyone

    civil_view = await snapshot_of(o_civil, 2)
    med_view = await snapshot_of(o_med, 2)
    all_view = await snapshot_of(o_all, 3)
    assert [t.ticket_id for t in civil_view] == [t_civil, t_none]
    assert civil_view[0].line == "civil" and civil_view[0].matter_name
    assert [t.ticket_id for t in med_view] == [t_med, t_none]
    assert [t.ticket_id for t in all_view] == [t_med, t_civil, t_none]

    # Outside one's lines: forbidden, and the ticket still waits.
    assert await refused(o_civil, TicketTake(ticket_id=t_med)) == "forbidden"
    assert t_med in [info.ticket_id for _, info in await hub.hub.router.served()]

    # ticket.next: the first of one's own lines by the rules.
    await req(o_civil, TicketNext())
    started = await o_civil.skip_to("session.started")
    assert started.ticket_id == t_civil
    await req(o_all, TicketNext())
    assert (await o_all.skip_to("session.started")).ticket_id == t_med
    await req(o_med, TicketNext())
    assert (await o_med.skip_to("session.started")).ticket_id == t_none
    assert await refused(admin, TicketNext()) == "not_found"  # nothing left


async def test_ratio_serves_a_normal_ticket_after_priority_streak(hub: HubHarness) -> None:
    hub.hub.router.priority_ratio = 1
    officers = [await hub.officer(f"o{i}") for i in range(3)]
    k_n, k_a, k_b = await hub.kiosk("N"), await hub.kiosk("A"), await hub.kiosk("B")
    t_n = await joined(k_n)
    t_a = await joined(k_a, assistance=True)
    t_b = await joined(k_b, assistance=True)
    served = [info.ticket_id for _, info in await hub.hub.router.served()]
    assert served == [t_a, t_n, t_b]  # ratio 1: one priority, then the waiting normal one
    got = []
    for officer in officers:
        await req(officer, TicketNext())
        got.append((await officer.skip_to("session.started")).ticket_id)
    assert got == [t_a, t_n, t_b]


async def test_overdue_flagged_once_and_audited(hub: HubHarness) -> None:
    officer = await hub.officer("o1")
    hub.hub.router.overdue_after_s = 0.4
    kiosk = await hub.kiosk("K")
    ticket = await joined(kiosk)
    async with asyncio.timeout(WAIT):
        while True:
            snap = await officer.skip_to("queue.snapshot")
            if snap.tickets and snap.tickets[0].overdue:
                break
    assert snap.tickets[0].ticket_id == ticket
    await asyncio.sleep(0.6)  # not a wait: several more sweeps, watching for a second row
    rows = [
        e
        for e in await hub.hub.core.audit.entries(None)
        if e["action"] == "queue.overdue" and e["detail"]["ticket_id"] == ticket
    ]
    assert len(rows) == 1


async def test_unknown_or_counter_only_matter_is_refused_and_nothing_queued(
    hub: HubHarness,
) -> None:
    kiosk = await hub.kiosk("U")
    assert await refused(kiosk, QueueJoin(matter="no.such.matter")) == "not_found"
    catalogue = await hub.hub.router.catalogue.current()
    assert catalogue is not None
    counter_only = next(m.code for m in catalogue.matters if not m.remote)
    assert await refused(kiosk, QueueJoin(matter=counter_only)) == "bad_state"
    assert await hub.hub.router.served() == []
    # The same kiosk can still queue for a matter the remote window handles.
    assert await joined(kiosk, matter=await matter_of(hub, "civil")) >= 1
