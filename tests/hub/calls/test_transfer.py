"""Transfer of a live call through a real hub: to an officer, to a line, and refused transfers."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from backoffice_console.hub.accounts.models import Kiosk
from backoffice_console.hub.calls.models import CallSession, Ticket
from backoffice_console.hub.cases.models import Case, CaseEvent
from shared.protocol import (
    CallState,
    CallStateReport,
    QueueJoin,
    Role,
    RtcAnswer,
    RtcOffer,
    SessionEnd,
    TicketTake,
)
from shared.protocol.routing import SessionTransfer, TicketNext
from tests.support.hub_fixtures import WAIT, HubHarness, Peer, refused, req

SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=x\r\n"


async def officer_ids(hub: HubHarness, admin: Peer) -> dict[str, int]:
    rows = await admin.client.get_json("/api/v1/routing/officers")
    return {row["display_name"].removeprefix("officer "): row["id"] for row in rows}


async def in_call(
    hub: HubHarness, matter: str | None = None, officer: str = "o1", kiosk: str = "K"
) -> tuple[Peer, Peer, str]:
    """A kiosk in a call with an officer; ensures the session has a case row."""
    return await _in_call(hub, matter, await hub.officer(officer), await hub.kiosk(kiosk))


async def _in_call(
    hub: HubHarness, matter: str | None, officer: Peer, kiosk: Peer
) -> tuple[Peer, Peer, str]:
    await req(kiosk, QueueJoin(matter=matter))
    ticket = (await kiosk.skip_to("queue.status")).ticket_id
    await req(officer, TicketTake(ticket_id=ticket))
    session_id = (await kiosk.skip_to("session.started")).session_id
    await officer.skip_to("session.started")
    async with hub.hub.db.session() as s, s.begin():
        if await s.scalar(select(Case).where(Case.session_id == session_id)) is None:
            cs = await s.get(CallSession, session_id)
            assert cs is not None
            point_id = await s.scalar(select(Kiosk.point_id).where(Kiosk.id == cs.kiosk_id))
            s.add(
                Case(
                    case_no=f"T{ticket}",
                    session_id=session_id,
                    ticket_id=ticket,
                    kiosk_id=cs.kiosk_id,
                    point_id=point_id,
                    officer_id=cs.officer_id,
                )
            )
    return officer, kiosk, session_id


async def state_of(hub: HubHarness, session_id: str) -> dict[str, Any]:
    async with hub.hub.db.session() as s:
        cs = await s.get(CallSession, session_id)
        case = await s.scalar(select(Case).where(Case.session_id == session_id))
        assert cs is not None and case is not None
        events = list(await s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)))
        tickets = list(await s.scalars(select(Ticket.id).where(Ticket.state == "waiting")))
    audit = [e["action"] for e in await hub.hub.core.audit.entries(session_id)]
    return {
        "officer": cs.officer_id,
        "ended": cs.ended_at is not None,
        "case_officer": case.officer_id,
        "events": events.count("transferred"),
        "waiting": tickets,
        "audit": audit.count("session.transfer"),
    }


async def test_transfer_to_officer_refusals_change_nothing_then_it_moves(hub: HubHarness) -> None:
    old, kiosk, session_id = await in_call(hub, matter=None)
    admin = await hub.officer("admin", Role.ADMIN)
    second = await hub.officer("o2")
    await hub.user("offline")  # exists, never connected
    ids = await officer_ids(hub, admin)
    before = await state_of(hub, session_id)

    # An offline officer, an unknown one, oneself, a kiosk sending it, a stranger's session.
    to = SessionTransfer(session_id=session_id, to_officer_id=ids["offline"])
    assert await refused(old, to) == "not_found"
    assert await refused(old, SessionTransfer(session_id=session_id, to_officer_id=9999)) == (
        "not_found"
    )
    assert await refused(old, SessionTransfer(session_id=session_id, to_officer_id=ids["o1"])) == (
        "bad_state"
    )
    assert await refused(kiosk, SessionTransfer(session_id=session_id, to_line="civil")) == (
        "forbidden"
    )
    stranger = SessionTransfer(session_id=session_id, to_officer_id=ids["admin"])
    assert await refused(second, stranger) == "not_in_session"
    # Not qualified for the call's line.
    async with hub.hub.db.session() as s, s.begin():
        cs = await s.get(CallSession, session_id)
        assert cs is not None
        ticket = await s.get(Ticket, cs.ticket_id)
        assert ticket is not None
        ticket.line = "civil"
    await hub.hub.router.set_lines(None, ids["o2"], ["medins"])
    narrow = SessionTransfer(session_id=session_id, to_officer_id=ids["o2"])
    assert await refused(old, narrow) == "forbidden"
    assert await state_of(hub, session_id) == before
    # The old officer still holds the call.
    await req(old, CallStateReport(session_id=session_id, state=CallState.CONNECTED))

    # To the admin (all lines, online, free): the session moves, same id.
    move = SessionTransfer(session_id=session_id, to_officer_id=ids["admin"], note="需要医保")
    await req(old, move)
    ended = await old.skip_to("session.ended")
    assert (ended.session_id, ended.reason) == (session_id, "transferred")
    started = await admin.skip_to("session.started")
    assert started.session_id == session_id and started.offerer is False
    notice = await kiosk.skip_to("session.transferred")
    assert notice.session_id == session_id and notice.peer_name == "officer admin"
    after = await state_of(hub, session_id)
    assert after["officer"] == after["case_officer"] == ids["admin"]
    assert (after["events"], after["audit"], after["ended"]) == (1, 1, False)

    # The kiosk offers again under the same session; the new console gets it and answers.
    await req(kiosk, RtcOffer(session_id=session_id, sdp=SDP))
    assert (await admin.skip_to("rtc.offer")).session_id == session_id
    await req(admin, RtcAnswer(session_id=session_id, sdp=SDP))
    assert (await kiosk.skip_to("rtc.answer")).session_id == session_id
    assert await refused(old, RtcAnswer(session_id=session_id, sdp=SDP)) == "not_in_session"
    # The old officer is free again.
    assert await refused(old, TicketNext()) == "not_found"


async def test_transfer_to_line_requeues_first_and_keeps_the_session(hub: HubHarness) -> None:
    old, kiosk, session_id = await in_call(hub, matter=None)
    other = await hub.officer("o2")
    third = await hub.officer("o3")
    waiting_kiosk = await hub.kiosk("W")
    await req(waiting_kiosk, QueueJoin(assistance=True))
    await waiting_kiosk.skip_to("queue.status")

    bad = SessionTransfer(session_id=session_id, to_line="no-such-line")
    assert await refused(old, bad) == "not_found"
    unchanged = await state_of(hub, session_id)
    assert (unchanged["events"], unchanged["audit"], unchanged["ended"]) == (0, 0, False)
    assert len(unchanged["waiting"]) == 1

    await req(old, SessionTransfer(session_id=session_id, to_line="medins", note="转医保"))
    assert (await old.skip_to("session.ended")).reason == "transferred"
    assert (await kiosk.skip_to("session.transferred")).waiting is True
    served = [info for _, info in await hub.hub.router.served()]
    assert served[0].priority == "transfer" and served[0].line == "medins"
    assert len(served) == 2  # ahead of the older assistance ticket
    parked = await state_of(hub, session_id)
    assert parked["ended"] and parked["case_officer"] == parked["officer"]

    # The old officer is free (takes the other ticket); o3 is not qualified; o2 takes it next.
    ids = {
        r["display_name"]: r["id"] for r in await other.client.get_json("/api/v1/routing/officers")
    }
    await hub.hub.router.set_lines(None, ids["officer o3"], ["civil"])
    assert await refused(third, TicketTake(ticket_id=served[0].ticket_id)) == "forbidden"
    await req(other, TicketNext())
    started = await other.skip_to("session.started")
    assert started.session_id == session_id
    notice = await kiosk.skip_to("session.transferred")
    assert notice.waiting is False and notice.peer_name == "officer o2"
    after = await state_of(hub, session_id)
    assert after["officer"] == after["case_officer"] == ids["officer o2"]
    assert not after["ended"] and after["events"] == 2 and after["audit"] == 1
    await req(old, TicketNext())
    assert (await old.skip_to("session.started")).ticket_id == served[1].ticket_id

    # The same session goes on: offer relayed to the new officer.
    await req(kiosk, RtcOffer(session_id=session_id, sdp=SDP))
    assert (await other.skip_to("rtc.offer")).session_id == session_id


async def test_kiosk_hanging_up_while_parked_leaves_the_queue(hub: HubHarness) -> None:
    old, kiosk, session_id = await in_call(hub, matter=None)
    await req(old, SessionTransfer(session_id=session_id, to_line="civil"))
    await kiosk.skip_to("session.transferred")
    assert len(await hub.hub.router.served()) == 1
    await req(kiosk, SessionEnd(session_id=session_id))
    assert await hub.hub.router.served() == []
    assert await refused(old, TicketNext()) == "not_found"
    async with hub.hub.db.session() as s:
        cs = await s.get(CallSession, session_id)
        assert cs is not None and (cs.end_reason, cs.ended_by) == ("hangup", "kiosk")

    # A kiosk that goes away while parked: its ticket leaves and the call ends as peer_gone.
    other, kiosk2, session2 = await in_call(hub, matter=None, officer="o3", kiosk="K2")
    await req(other, SessionTransfer(session_id=session2, to_line="civil"))
    await kiosk2.skip_to("session.transferred")
    await kiosk2.close()
    hub.peers.remove(kiosk2)
    async with asyncio.timeout(WAIT):
        while True:
            async with hub.hub.db.session() as s:
                cs = await s.get(CallSession, session2)
            assert cs is not None
            if cs.end_reason == "peer_gone" and not await hub.hub.router.served():
                break
            await asyncio.sleep(0.05)
