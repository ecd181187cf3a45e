"""Helpers for the evaluation and circulation tests: a session with its case, raw statuses."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from sqlalchemy import select

from backoffice_console.hub.accounts.models import Kiosk
from backoffice_console.hub.calls.models import CallSession
from backoffice_console.hub.cases.models import Case
from shared.hubclient import HubRequestError
from shared.protocol import QueueJoin, SessionEnd, TicketTake
from tests.hub.identity.test_routes import in_call, req
from tests.support.hub_fixtures import PASSWORD, WAIT, HubHarness, Peer


async def case_for(hub: HubHarness, session_id: str) -> Case:
    """The session's case: the one the hub opened, else one made here (older hubs)."""
    async with hub.hub.db.session() as s, s.begin():
        case = await s.scalar(select(Case).where(Case.session_id == session_id))
        if case is None:
            cs = await s.get(CallSession, session_id)
            assert cs is not None
            kiosk = await s.get(Kiosk, cs.kiosk_id)
            assert kiosk is not None
            case = Case(
                case_no=f"T{session_id[:12]}",
                session_id=session_id,
                ticket_id=cs.ticket_id,
                kiosk_id=cs.kiosk_id,
                point_id=kiosk.point_id,
                officer_id=cs.officer_id,
            )
            s.add(case)
            await s.flush()
        s.expunge(case)
        return case


async def live_call(
    hub: HubHarness, name: str, pair: tuple[Peer, Peer] | None = None
) -> tuple[Peer, Peer, str]:
    """An officer and kiosk (new, or `pair` again) in a call."""
    if pair is None:
        return await in_call(hub, name)
    officer, kiosk = pair
    await req(kiosk, QueueJoin(matter="civil.dbsq"))
    ticket = (await kiosk.skip_to("queue.status")).ticket_id
    await req(officer, TicketTake(ticket_id=ticket))
    sid = (await kiosk.skip_to("session.started")).session_id
    await officer.skip_to("session.started")
    return officer, kiosk, sid


async def ended_call(
    hub: HubHarness, name: str, pair: tuple[Peer, Peer] | None = None
) -> tuple[Peer, Peer, str, Case]:
    """An officer and kiosk (new, or `pair` again) whose call (with its case) has just ended."""
    officer, kiosk, sid = await live_call(hub, name, pair)
    case = await case_for(hub, sid)
    await req(officer, SessionEnd(session_id=sid))
    await kiosk.skip_to("session.ended")
    return officer, kiosk, sid, case


async def refused(call: Any) -> HubRequestError:
    """The error a hub request was refused with (fails if it succeeded)."""
    try:
        result = await asyncio.wait_for(call, WAIT)
    except HubRequestError as exc:
        return exc
    raise AssertionError(f"expected a refusal, got {result!r}")


async def logged_in(hub: HubHarness, username: str, role: Any) -> Peer:
    """An HTTP-only client of a new user (no websocket)."""
    await hub.user(username, role)
    peer = Peer(hub.url, hub.ca)
    hub.peers.append(peer)
    await asyncio.wait_for(peer.client.login_officer(username, PASSWORD), WAIT)
    return peer


async def raw_call(
    hub: HubHarness, peer: Peer, method: str, path: str, body: Any
) -> tuple[int, Any]:
    """The HTTP status and JSON body of one request (to check 400/403/409 themselves)."""
    token = peer.client._token  # the test's own client
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=hub.ssl())) as session,
        session.request(
            method, f"{hub.url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}
        ) as resp,
    ):
        return resp.status, await resp.json(content_type=None)


async def raw_status(hub: HubHarness, peer: Peer, method: str, path: str, body: Any) -> int:
    """The HTTP status of one request."""
    return (await raw_call(hub, peer, method, path, body))[0]
