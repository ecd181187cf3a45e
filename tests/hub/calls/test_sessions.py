"""Hub reports API: sessions by day and role, one session, the audit log.

The session list (`/api/v1/sessions`) is the calls domain's; the audit log is core's.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from shared.hubclient import HubRequestError
from shared.protocol import QueueJoin, Role, SessionEnd, TicketTake
from tests.support.hub_fixtures import WAIT, HubHarness


async def test_sessions_by_day_and_role(hub: HubHarness) -> None:
    o1 = await hub.officer("o1")
    o2 = await hub.officer("o2")
    admin = await hub.officer("boss", Role.ADMIN)
    tech = await hub.officer("tech", Role.TECHNICIAN)
    kiosk = await hub.kiosk("K")
    await asyncio.wait_for(kiosk.client.request(QueueJoin(matter="hukou.hkzm")), WAIT)
    ticket = (await kiosk.next("queue.status")).ticket_id
    await asyncio.wait_for(o1.client.request(TicketTake(ticket_id=ticket)), WAIT)
    sid = (await kiosk.next("session.started")).session_id
    await asyncio.wait_for(kiosk.client.request(SessionEnd(session_id=sid)), WAIT)

    async def get(peer: object, path: str, **params: str) -> object:
        return await asyncio.wait_for(peer.client.get_json(path, **params), WAIT)  # type: ignore[attr-defined]

    mine = await get(o1, "/api/v1/sessions")
    assert isinstance(mine, list) and len(mine) == 1
    row = mine[0]
    assert row["session_id"] == sid and row["ticket_id"] == ticket
    assert (row["point_name"], row["kiosk_name"], row["matter"]) == (
        "某某社区居委会",
        "K",
        "hukou.hkzm",
    )
    assert row["matter_name"] == "户籍证明开具"
    assert row["officer_name"] == "officer o1"
    assert (row["end_reason"], row["ended_by"], row["reconnects"]) == ("hangup", "kiosk", 0)
    started = dt.datetime.fromisoformat(row["started_at"])
    assert started.tzinfo is not None
    assert dt.datetime.fromisoformat(row["ended_at"]) >= started

    today = dt.datetime.now().astimezone().date()
    assert len(await get(o1, "/api/v1/sessions", day=today.isoformat())) == 1  # type: ignore[arg-type]
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert await get(o1, "/api/v1/sessions", day=yesterday) == []
    assert await get(o2, "/api/v1/sessions") == []
    assert [r["session_id"] for r in await get(admin, "/api/v1/sessions")] == [sid]  # type: ignore[attr-defined]

    for peer, path, code in (
        (o1, "/api/v1/sessions?day=2026-13-01", "bad_message"),
        (tech, "/api/v1/sessions", "forbidden"),
        (kiosk, "/api/v1/sessions", "forbidden"),
        (o2, f"/api/v1/sessions/{sid}", "not_found"),
        (o1, "/api/v1/audit", "forbidden"),
    ):
        with pytest.raises(HubRequestError) as err:
            await get(peer, path)
        assert err.value.code == code, path

    assert (await get(o1, f"/api/v1/sessions/{sid}"))["session_id"] == sid  # type: ignore[index]
    assert (await get(admin, f"/api/v1/sessions/{sid}"))["session_id"] == sid  # type: ignore[index]
    auditor = await hub.officer("auditor", Role.AUDITOR)
    audit = await get(auditor, "/api/v1/audit", session_id=sid)
    entries = audit["entries"]  # type: ignore[index]
    assert [e["action"] for e in entries] == ["session.end", "session.start"]  # newest first
    everything = await get(auditor, "/api/v1/audit", limit="500")
    actions = {e["action"] for e in everything["entries"]}  # type: ignore[index]
    assert {"auth.login", "device.enroll", "device.token", "queue.join"} <= actions
