"""The login limiter against a real hub: nobody can lock out someone else; state in the DB.

The attacker speaks from 127.0.0.2, the owner from 127.0.0.1 (both loopback).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import aiohttp
from sqlalchemy import func, select

from backoffice_console.hub.accounts import Throttle
from backoffice_console.hub.accounts.throttle import ThrottleStore
from backoffice_console.hub.core.models import AuditEntry
from backoffice_console.hub.db import Database, utcnow
from tests.support.hub_fixtures import PASSWORD, HubHarness


async def login(hub: HubHarness, source: str, username: str, password: str) -> tuple[int, Any]:
    """POST a login from the loopback address `source`: (status, body)."""
    connector = aiohttp.TCPConnector(ssl=hub.ssl(), local_addr=(source, 0))
    async with aiohttp.ClientSession(connector=connector) as s:
        body = {"username": username, "password": password}
        async with s.post(f"{hub.url}/api/v1/auth/login", json=body) as resp:
            return resp.status, await resp.json()


async def test_a_third_party_cannot_lock_the_owner_out(hub: HubHarness) -> None:
    await hub.user("admin1")
    allowed = hub.hub.config.login_failures_allowed
    for _ in range(allowed + 2):
        status, _ = await login(hub, "127.0.0.2", "admin1", "guess-guess-guess")
    assert status == 429
    # The guesser is refused even the right password: the answer tells them nothing.
    status, body = await login(hub, "127.0.0.2", "admin1", PASSWORD)
    assert (status, body["code"]) == (429, "rate_limited")
    # The owner, elsewhere, is not locked out.
    status, body = await login(hub, "127.0.0.1", "admin1", PASSWORD)
    assert status == 200 and body["user"]["username"] == "admin1"
    # The address as a whole closes after four accounts' worth of failures.
    for n in range(allowed * 4):
        await login(hub, "127.0.0.2", f"spray{n}", "guess-guess-guess")
    await hub.user("other1")
    status, body = await login(hub, "127.0.0.2", "other1", PASSWORD)
    assert (status, body["code"]) == (429, "rate_limited")
    assert (await login(hub, "127.0.0.1", "other1", PASSWORD))[0] == 200
    async with hub.hub.db.session() as s:
        throttled = await s.scalar(
            select(func.count()).where(AuditEntry.action == "auth.login_throttled")
        )
    assert throttled and throttled >= 1


async def test_counters_live_in_the_database_and_old_windows_are_dropped(
    hub: HubHarness,
) -> None:
    db = hub.hub.db
    other = Database(db.url)  # another hub instance on the same database
    try:
        here, there = ThrottleStore(db, 3, 300), ThrottleStore(other, 3, 300)
        await here.failed(["login:x|10.0.0.1"])
        await there.failed(["login:x|10.0.0.1"])
        assert not await here.blocked("login:x|10.0.0.1")
        await here.failed(["login:x|10.0.0.1"])
        assert await there.blocked("login:x|10.0.0.1")
        await there.reset("login:x|10.0.0.1")
        assert not await here.blocked("login:x|10.0.0.1")
        old = utcnow() - dt.timedelta(hours=1)
        async with db.session() as s, s.begin():
            s.add_all(
                Throttle(key=f"login:old{n}|x", failures=9, window_start=old) for n in range(50)
            )
        assert not await here.blocked("login:old1|x")  # a passed window counts nothing
        await here.failed(["login:new|x"])
        async with db.session() as s:
            left = list(await s.scalars(select(Throttle.key)))
        assert left == ["login:new|x"]
    finally:
        await other.dispose()
