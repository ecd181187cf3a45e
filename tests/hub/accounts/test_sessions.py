"""Log-ins against a real hub: refresh, logout, revocation, disabled accounts and kiosks.

A websocket lives as long as its log-in: these tests end log-ins every way the hub
knows and watch the socket close with the code and reason the clients act on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from backoffice_console.hub.core.models import AuditEntry
from shared.hubclient import HubAuthError, HubClient, HubRequestError
from shared.protocol import QueueLeave, Role, encode
from shared.protocol.accounts import CLOSE_ACCESS_REVOKED, CLOSE_SESSION_ENDED
from tests.support.hub_fixtures import (
    PASSWORD,
    WAIT,
    HubHarness,
    _ignore,
    close_raw,
    expire_login,
    running_hub,
)


async def actions(hub: HubHarness) -> list[str]:
    """Every audit action so far, oldest first."""
    async with hub.hub.db.session() as s:
        return list(await s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


async def audit_rows(hub: HubHarness, action: str) -> list[AuditEntry]:
    """The audit rows of one action, oldest first."""
    async with hub.hub.db.session() as s:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list(await s.scalars(query))


async def until(condition: Any, timeout: float = WAIT) -> None:
    """Wait (bounded) until `condition()` holds (it may be a coroutine function)."""
    async with asyncio.timeout(timeout):
        while True:
            result = condition()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
            await asyncio.sleep(0.02)


async def login_of(hub: HubHarness, token: str) -> int:
    """The log-in id behind a token."""
    login_id = (await hub.hub.accounts.logins.resolve(token)).login_id
    assert login_id is not None
    return login_id


async def http(hub: HubHarness, method: str, path: str, token: str, **kw: Any) -> tuple[int, Any]:
    """One raw request with a bearer token: (status, JSON body)."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=hub.ssl())) as s:
        headers = {"Authorization": f"Bearer {token}"}
        async with s.request(method, f"{hub.url}{path}", headers=headers, **kw) as resp:
            return resp.status, await resp.json(content_type=None)


async def closed_with(ws: aiohttp.ClientWebSocketResponse) -> tuple[int, str]:
    """Read until the hub closes `ws`: (close code, reason)."""
    async with asyncio.timeout(WAIT):
        while True:
            msg = await ws.receive()
            if msg.type == aiohttp.WSMsgType.CLOSE:
                return int(msg.data), str(msg.extra)
            assert msg.type == aiohttp.WSMsgType.TEXT, msg


@pytest.fixture(name="fast_hub")
async def fast_hub_fixture(tmp_path: Path) -> AsyncIterator[HubHarness]:
    """A hub that re-checks its sockets' log-ins five times a second."""
    async with running_hub(tmp_path / "hub", session_recheck_s=0.2) as harness:
        yield harness


async def test_refresh_rotates_and_a_reused_refresh_token_ends_the_login(hub: HubHarness) -> None:
    await hub.user("wang")
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=hub.ssl())) as s:
        login = {"username": "wang", "password": PASSWORD}
        async with s.post(f"{hub.url}/api/v1/auth/login", json=login) as resp:
            first = await resp.json()
        refresh = {"refresh_token": first["refresh_token"]}
        async with s.post(f"{hub.url}/api/v1/auth/refresh", json=refresh) as resp:
            assert resp.status == 200
            second = await resp.json()
        assert second["token"] != first["token"]
        assert second["refresh_token"] != first["refresh_token"]
        assert second["refresh_expires_at"] == first["refresh_expires_at"]  # no extension
        assert (await http(hub, "GET", "/api/v1/sessions", second["token"]))[0] == 200
        # The spent refresh token comes back (a stolen copy): the whole log-in ends.
        async with s.post(f"{hub.url}/api/v1/auth/refresh", json=refresh) as resp:
            assert resp.status == 401
        assert (await http(hub, "GET", "/api/v1/sessions", second["token"]))[0] == 401
        live = {"refresh_token": second["refresh_token"]}
        async with s.post(f"{hub.url}/api/v1/auth/refresh", json=live) as resp:
            assert resp.status == 401
    assert "auth.refresh_reused" in await actions(hub)


async def test_logout_ends_the_token_and_closes_the_socket_at_once(hub: HubHarness) -> None:
    peer = await hub.officer("li")
    client = peer.client
    token = client._token
    assert token is not None
    await asyncio.wait_for(client.logout(), WAIT)
    assert (await http(hub, "GET", "/api/v1/sessions", token))[0] == 401
    await until(lambda: len(hub.hub.registry) == 0)
    assert "auth.logout" in await actions(hub)
    refused = await audit_rows(hub, "auth.token_refused")
    assert refused and refused[-1].detail["path"] == "/api/v1/sessions"
    assert token not in str([r.detail for r in refused])


async def test_logout_closes_the_other_sockets_of_the_same_login(hub: HubHarness) -> None:
    peer = await hub.officer("zhou")
    token = peer.client._token
    assert token is not None
    ws = await hub.raw_ws(token)
    try:
        await ws.receive()  # welcome
        status, _ = await http(hub, "POST", "/api/v1/auth/logout", token)
        assert status == 200
        assert await closed_with(ws) == (CLOSE_SESSION_ENDED, "logged out")
        await until(lambda: peer.client.ended == "logged out")
        assert not peer.client.connected  # an officer's client does not reconnect by itself
    finally:
        await close_raw(ws)


async def test_disabling_an_account_closes_its_socket_and_refuses_its_login(
    hub: HubHarness,
) -> None:
    admin = await hub.officer("boss", Role.ADMIN)
    officer = await hub.officer("chen")
    assert officer.client.welcome is not None
    officer_id = officer.client.welcome.subject_id
    body = {"active": False, "reason": "left the centre"}
    await admin.client.post_json(f"/api/v1/users/{officer_id}/active", body)
    await until(lambda: officer.client.ended == "account disabled")
    await until(lambda: hub.hub.registry.user(officer_id) == [])
    again = HubClient(hub.url, hub.ca, _ignore)
    try:
        with pytest.raises(HubAuthError):
            await asyncio.wait_for(again.login_officer("chen", PASSWORD), WAIT)
        listed = await admin.client.get_json("/api/v1/users")
        chen = next(u for u in listed if u["username"] == "chen")
        assert chen["active"] is False
        body = {"active": True, "reason": "came back"}
        await admin.client.post_json(f"/api/v1/users/{officer_id}/active", body)
        await asyncio.wait_for(again.login_officer("chen", PASSWORD), WAIT)
    finally:
        await again.close()
    disable = (await audit_rows(hub, "user.disable"))[-1]
    assert disable.detail == {"user_id": officer_id, "reason": "left the centre", "logins_ended": 1}
    assert "user.enable" in await actions(hub)
    # An administrator cannot shut themselves out, and officers administer nothing.
    assert admin.client.welcome is not None
    admin_id = admin.client.welcome.subject_id
    with pytest.raises(HubRequestError) as err:
        body = {"active": False, "reason": "oops"}
        await admin.client.post_json(f"/api/v1/users/{admin_id}/active", body)
    assert err.value.code == "bad_state"
    other = await hub.officer("zhu")
    with pytest.raises(HubRequestError) as err:
        await other.client.post_json(f"/api/v1/users/{officer_id}/active", body)
    assert err.value.code == "forbidden"


async def test_revoking_a_kiosk_closes_its_socket_and_it_does_not_hammer_the_hub(
    hub: HubHarness,
) -> None:
    admin = await hub.officer("boss", Role.ADMIN)
    kiosk = await hub.kiosk("K1")
    kiosk.client.REFUSED_RETRY_S = 0.3  # short, so the test sees two refused retries
    assert kiosk.client.welcome is not None
    kiosk_id = kiosk.client.welcome.subject_id
    listed = await admin.client.get_json("/api/v1/kiosks")
    assert [(k["id"], k["active"]) for k in listed] == [(kiosk_id, True)]
    assert kiosk.client._token is not None
    ws = await hub.raw_ws(kiosk.client._token)
    try:
        await ws.receive()  # welcome
        await admin.client.post_json(
            f"/api/v1/kiosks/{kiosk_id}/active", {"active": False, "reason": "credential stolen"}
        )
        assert await closed_with(ws) == (CLOSE_ACCESS_REVOKED, "kiosk revoked")
    finally:
        await close_raw(ws)
    await until(lambda: kiosk.client.ended == "kiosk revoked")
    await until(lambda: hub.hub.registry.kiosk(kiosk_id) == [])

    async def two_refusals() -> bool:
        return len(await audit_rows(hub, "device.token_failed")) >= 2

    await until(two_refusals, timeout=30)
    first, second = (await audit_rows(hub, "device.token_failed"))[:2]
    # Each retry waits REFUSED_RETRY_S first: never a tight loop.
    assert (second.at - first.at).total_seconds() >= 0.29
    await admin.client.post_json(
        f"/api/v1/kiosks/{kiosk_id}/active", {"active": True, "reason": "new credential checked"}
    )
    await until(lambda: kiosk.client.connected)
    assert kiosk.client.ended is None
    assert {"device.revoke", "device.restore"} <= set(await actions(hub))


async def test_socket_closes_when_its_token_runs_out_unrefreshed(fast_hub: HubHarness) -> None:
    hub = fast_hub
    await hub.user("sun")
    client = HubClient(hub.url, hub.ca, _ignore)
    try:
        await asyncio.wait_for(client.login_officer("sun", PASSWORD), WAIT)
        assert client._tokens is not None and client._token is not None
        ws = await hub.raw_ws(client._token)
        try:
            await ws.receive()  # welcome
            await expire_login(hub, await login_of(hub, client._token))
            assert await closed_with(ws) == (CLOSE_SESSION_ENDED, "token expired")
        finally:
            await close_raw(ws)
        # The client's next request is refused, renews with its refresh token, and goes on.
        assert await client.get_json("/api/v1/sessions") == []
    finally:
        await client.close()


async def test_every_message_rechecks_the_login_before_it_is_carried_out(hub: HubHarness) -> None:
    credential = await hub.kiosk_credential("K9")
    client = HubClient(hub.url, hub.ca, _ignore)
    try:
        await asyncio.wait_for(client.login_device(credential), WAIT)
        assert client._tokens is not None and client._token is not None
        ws = await hub.raw_ws(client._token)
        try:
            await ws.receive()  # welcome
            await expire_login(hub, await login_of(hub, client._token))
            # No timer re-check for 30 s on this hub: the message itself finds the login ended.
            await ws.send_str(encode(QueueLeave(id="r1")))
            assert await closed_with(ws) == (CLOSE_SESSION_ENDED, "token expired")
        finally:
            await close_raw(ws)
    finally:
        await client.close()


async def test_password_reset_forces_a_new_password_under_the_rules(hub: HubHarness) -> None:
    admin = await hub.officer("boss", Role.ADMIN)
    officer = await hub.officer("wu")
    assert officer.client.welcome is not None
    officer_id = officer.client.welcome.subject_id
    reply = await admin.client.post_json(
        f"/api/v1/users/{officer_id}/password-reset", {"reason": "forgot it"}
    )
    temporary = reply["temporary_password"]
    await until(lambda: officer.client.ended == "password reset")
    client = HubClient(hub.url, hub.ca, _ignore)
    try:
        with pytest.raises(HubAuthError):
            await asyncio.wait_for(client.login_officer("wu", PASSWORD), WAIT)
        with pytest.raises(HubRequestError) as err:
            await asyncio.wait_for(client.login_officer("wu", temporary), WAIT)
        assert err.value.code == "password_change_required"
        for weak in ("short1!", "password2024!", "qwerty123456", temporary):
            with pytest.raises(HubRequestError) as err:
                await asyncio.wait_for(client.login_officer("wu", temporary, weak), WAIT)
            assert err.value.code == "weak_password", weak
        new = "tea by the west lake 9"
        await asyncio.wait_for(client.login_officer("wu", temporary, new), WAIT)
        # Changing it again needs the current password; the old one no longer works.
        with pytest.raises(HubRequestError) as err:
            await client.change_password(temporary, "another good phrase 7")
        assert err.value.code == "forbidden"
        await client.change_password(new, "another good phrase 7")
        assert await client.get_json("/api/v1/sessions") == []  # this log-in was kept
    finally:
        await client.close()
    done = set(await actions(hub))
    assert {"user.password_reset", "auth.password_change", "auth.password_change_failed"} <= done
    listed = await admin.client.get_json("/api/v1/users")
    assert not next(u for u in listed if u["username"] == "wu")["must_change_password"]


async def test_admin_creates_accounts_under_the_password_rules(hub: HubHarness) -> None:
    admin = await hub.officer("boss", Role.ADMIN)
    body = {"username": "zhang", "display_name": "张三", "role": "supervisor"}
    with pytest.raises(HubRequestError) as err:
        await admin.client.post_json("/api/v1/users", {**body, "password": "zhang-is-great-1"})
    assert err.value.code == "weak_password" and "user name" in err.value.message
    created = await admin.client.post_json("/api/v1/users", {**body, "password": PASSWORD})
    with pytest.raises(HubRequestError) as err:
        await admin.client.post_json("/api/v1/users", {**body, "password": PASSWORD})
    assert err.value.code == "conflict"
    listed = await admin.client.get_json("/api/v1/users")
    row = next(u for u in listed if u["id"] == created["id"])
    assert (row["role"], row["active"], row["must_change_password"]) == ("supervisor", True, False)
    create = (await audit_rows(hub, "user.create"))[-1]
    assert create.actor_id == admin.client.welcome.subject_id if admin.client.welcome else False


async def test_failures_are_audited_without_secrets(hub: HubHarness) -> None:
    await hub.user("ma")
    client = HubClient(hub.url, hub.ca, _ignore)
    try:
        with pytest.raises(HubAuthError):
            await asyncio.wait_for(client.login_officer("ma", "not the password"), WAIT)
        with pytest.raises(HubAuthError):
            await asyncio.wait_for(client.login_officer("nobody", "not the password"), WAIT)
        with pytest.raises(HubAuthError):
            await asyncio.wait_for(client.enroll("ABCD-EFGH", "K1"), WAIT)
    finally:
        await client.close()
    failed = await audit_rows(hub, "auth.login_failed")
    assert [r.actor_id is None for r in failed] == [False, True]
    assert all(r.detail == {"source": "127.0.0.1"} for r in failed)
    assert "device.enroll_failed" in await actions(hub)
