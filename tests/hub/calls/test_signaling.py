"""Hub websocket: queue, ticket taking, signaling relay and disconnects, against a real hub."""

from __future__ import annotations

import asyncio
import logging

import pytest

from shared.hubclient import HubRequestError
from shared.protocol import (
    CallState,
    CallStateReport,
    QueueJoin,
    QueueLeave,
    Role,
    RtcAnswer,
    RtcOffer,
    SessionEnd,
    TicketTake,
)
from tests.support.hub_fixtures import HubHarness, Peer, refused, req

SDP_OFFER = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=offer\r\n"
SDP_ANSWER = "v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=answer\r\n"


async def test_queue_join_leave_snapshot_and_status(hub: HubHarness) -> None:
    officer = await hub.officer("o1")
    assert (await officer.next("queue.snapshot")).tickets == []
    a = await hub.kiosk("A")
    b = await hub.kiosk("B")

    await req(a, QueueJoin(matter="civil.dbsq"))
    status_a = await a.next("queue.status")
    assert status_a.position == 1
    snap = await officer.next("queue.snapshot")
    assert [t.ticket_id for t in snap.tickets] == [status_a.ticket_id]
    assert (snap.tickets[0].matter, snap.tickets[0].matter_name) == ("civil.dbsq", "低保申请")
    assert snap.tickets[0].point_name == "某某社区居委会" and snap.tickets[0].kiosk_name == "A"

    await req(b, QueueJoin())
    status_b = await b.next("queue.status")
    assert status_b.position == 2
    snap = await officer.next("queue.snapshot")
    assert [t.ticket_id for t in snap.tickets] == [status_a.ticket_id, status_b.ticket_id]
    await a.quiet()  # A's place did not change

    # A second join keeps the ticket and its place, and repeats the status.
    await req(b, QueueJoin(matter="hrss.ylzg"))
    again = await b.next("queue.status")
    assert (again.ticket_id, again.position) == (status_b.ticket_id, 2)
    await officer.next("queue.snapshot")

    await req(a, QueueLeave())
    moved = await b.next("queue.status")
    assert (moved.ticket_id, moved.position) == (status_b.ticket_id, 1)
    snap = await officer.next("queue.snapshot")
    assert [t.ticket_id for t in snap.tickets] == [status_b.ticket_id]
    await req(a, QueueLeave())  # leaving when not queued is harmless
    await a.quiet()

    # A kiosk that disconnects leaves the queue.
    await b.close()
    snap = await officer.next("queue.snapshot")
    assert snap.tickets == []


async def test_take_race_exactly_one_wins(hub: HubHarness) -> None:
    o1 = await hub.officer("o1")
    o2 = await hub.officer("o2")
    kiosk = await hub.kiosk("K")
    await req(kiosk, QueueJoin(matter="civil.dbsq"))
    ticket = (await kiosk.next("queue.status")).ticket_id

    results = await asyncio.gather(
        o1.client.request(TicketTake(ticket_id=ticket)),
        o2.client.request(TicketTake(ticket_id=ticket)),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], HubRequestError) and errors[0].code == "conflict"
    winner, loser = (o1, o2) if not isinstance(results[0], BaseException) else (o2, o1)

    started_k = await kiosk.next("session.started")
    assert started_k.offerer is True and started_k.ice_servers == []
    assert started_k.ticket_id == ticket
    started_o = await winner.skip_to("session.started")
    assert started_o.offerer is False and started_o.session_id == started_k.session_id
    assert started_o.peer_name == "某某社区居委会 K"
    assert started_k.peer_name.startswith("officer o")
    # Both consoles see the ticket gone; only the winner got a session.
    assert (await loser.skip_to("queue.snapshot")).tickets is not None
    while not loser.inbox.empty():
        assert loser.inbox.get_nowait().type == "queue.snapshot"

    # The loser, not o2: on PostgreSQL either officer can win (the winner would get bad_state).
    assert await refused(loser, TicketTake(ticket_id=9999)) == "not_found"
    assert await refused(loser, TicketTake(ticket_id=ticket)) == "conflict"


async def _in_call(hub: HubHarness) -> tuple[Peer, Peer, str]:
    officer = await hub.officer("o1")
    kiosk = await hub.kiosk("K")
    await req(kiosk, QueueJoin(matter="civil.dbsq"))
    ticket = (await kiosk.next("queue.status")).ticket_id
    await req(officer, TicketTake(ticket_id=ticket))
    session_id = (await kiosk.next("session.started")).session_id
    await officer.skip_to("session.started")
    return officer, kiosk, session_id


async def test_offer_answer_state_relay_and_end(
    hub: HubHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    officer, kiosk, sid = await _in_call(hub)

    await req(kiosk, RtcOffer(session_id=sid, sdp=SDP_OFFER))
    offer = await officer.skip_to("rtc.offer")
    assert (offer.session_id, offer.sdp, offer.id) == (sid, SDP_OFFER, None)
    await req(officer, RtcAnswer(session_id=sid, sdp=SDP_ANSWER))
    answer = await kiosk.skip_to("rtc.answer")
    assert (answer.session_id, answer.sdp) == (sid, SDP_ANSWER)
    await req(kiosk, CallStateReport(session_id=sid, state=CallState.CONNECTED))
    # skip_to: the case's own pushes (case.updated, checklist.status) may come in between.
    state = await officer.skip_to("call.state")
    assert state.state is CallState.CONNECTED
    # The kiosk's way of reconnecting: a new offer under the same session.
    await req(kiosk, RtcOffer(session_id=sid, sdp=SDP_OFFER))
    await officer.skip_to("rtc.offer")

    # Role rules and session holding.
    assert await refused(officer, RtcOffer(session_id=sid, sdp=SDP_OFFER)) == "forbidden"
    assert await refused(kiosk, RtcAnswer(session_id=sid, sdp=SDP_ANSWER)) == "forbidden"
    assert await refused(kiosk, TicketTake(ticket_id=1)) == "forbidden"
    other = await hub.kiosk("other")
    assert await refused(other, RtcOffer(session_id=sid, sdp=SDP_OFFER)) == "not_in_session"
    assert await refused(other, RtcOffer(session_id="nope", sdp=SDP_OFFER)) == "not_in_session"
    o2 = await hub.officer("o2")
    assert await refused(o2, RtcAnswer(session_id=sid, sdp=SDP_ANSWER)) == "not_in_session"
    tech = await hub.officer("tech", Role.TECHNICIAN)
    assert await refused(tech, SessionEnd(session_id=sid)) == "forbidden"
    assert await refused(kiosk, QueueJoin()) == "bad_state"  # already in a session

    await req(officer, SessionEnd(session_id=sid))
    for side in (kiosk, officer):
        ended = await side.skip_to("session.ended")
        assert (ended.session_id, ended.reason, ended.by) == (sid, "hangup", Role.OFFICER)
    assert await refused(kiosk, SessionEnd(session_id=sid)) == "not_in_session"

    rows = await hub.hub.calls.list_sessions(session_id=sid)
    assert len(rows) == 1
    row = rows[0]
    assert row["offer_at"] and row["answered_at"] and row["connected_at"] and row["ended_at"]
    assert row["reconnects"] == 1
    assert (row["end_reason"], row["ended_by"], row["matter"]) == (
        "hangup",
        "officer",
        "civil.dbsq",
    )
    # Nothing secret reached the logs: no SDP, no tokens.
    assert "s=offer" not in caplog.text and "s=answer" not in caplog.text
    for peer in (officer, kiosk):
        assert peer.client._token and peer.client._token not in caplog.text
    actions = [e["action"] for e in await hub.hub.core.audit.entries(sid)]
    assert actions == [
        "session.start",
        "rtc.offer",
        "rtc.answer",
        "call.connected",
        "rtc.reconnect",
        "session.end",
    ]


async def test_kiosk_disconnect_ends_session_with_peer_gone(hub: HubHarness) -> None:
    officer, kiosk, sid = await _in_call(hub)
    await kiosk.close()
    ended = await officer.skip_to("session.ended")
    assert (ended.session_id, ended.reason, ended.by) == (sid, "peer_gone", Role.KIOSK)
    row = (await hub.hub.calls.list_sessions(session_id=sid))[0]
    assert (row["end_reason"], row["ended_by"]) == ("peer_gone", "kiosk")
    audit = await hub.hub.core.audit.entries(sid)
    assert audit[-1]["action"] == "session.end"
    assert audit[-1]["detail"] == {"reason": "peer_gone", "by": "kiosk"}


async def test_officer_disconnect_ends_session_with_peer_gone(hub: HubHarness) -> None:
    officer, kiosk, sid = await _in_call(hub)
    await officer.close()
    ended = await kiosk.skip_to("session.ended")
    assert (ended.session_id, ended.reason, ended.by) == (sid, "peer_gone", Role.OFFICER)
    # The kiosk can queue again at once.
    await req(kiosk, QueueJoin())
    assert (await kiosk.next("queue.status")).position == 1
