"""Hub HTTP API against a real hub on loopback with TLS: login, enrolment, tokens, errors.

Mostly the accounts domain's routes; the health route and the error shape are core's.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import aiohttp
import pytest

from backoffice_console.hub.accounts.secrets import CODE_ALPHABET, normalise_code
from shared.hubclient import DeviceCredential, HubAuthError, HubClient, HubRequestError
from shared.protocol import Role
from tests.support.hub_fixtures import PASSWORD, WAIT, HubHarness, _ignore, expire_login


def client(hub: HubHarness) -> HubClient:
    return HubClient(hub.url, hub.ca, _ignore)


async def test_health_and_error_shape(hub: HubHarness) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=hub.ssl())) as http:
        async with http.get(f"{hub.url}/api/v1/health") as resp:
            body = await resp.json()
            assert resp.status == 200 and body["ok"] is True and body["version"]
            assert dt.datetime.fromisoformat(body["time"]).tzinfo is not None
        async with http.post(f"{hub.url}/api/v1/auth/login", data=b"{nope") as resp:
            assert resp.status == 400
            assert (await resp.json())["code"] == "bad_json"
        async with http.post(f"{hub.url}/api/v1/auth/login", json={"username": "x"}) as resp:
            assert resp.status == 400
            body = await resp.json()
            assert body["code"] == "bad_message" and "password" in body["message"]
        async with http.get(f"{hub.url}/api/v1/nothing") as resp:
            assert resp.status == 404 and (await resp.json())["code"] == "not_found"
        async with http.get(f"{hub.url}/api/v1/sessions") as resp:
            assert resp.status == 401 and (await resp.json())["code"] == "unauthorized"


async def test_login_ok_wrong_password_unknown_user(hub: HubHarness) -> None:
    await hub.user("wang", name="王芳")
    c = client(hub)
    try:
        user = await asyncio.wait_for(c.login_officer("wang", PASSWORD), WAIT)
        assert user["username"] == "wang" and user["display_name"] == "王芳"
        assert user["role"] == "officer"
        with pytest.raises(HubAuthError):
            await asyncio.wait_for(c.login_officer("wang", "wrong password"), WAIT)
        with pytest.raises(HubAuthError):
            await asyncio.wait_for(c.login_officer("nobody", PASSWORD), WAIT)
    finally:
        await c.close()


async def test_login_failures_are_rate_limited(hub: HubHarness) -> None:
    await hub.user("li")
    c = client(hub)
    try:
        for _ in range(hub.hub.config.login_failures_allowed):
            with pytest.raises(HubAuthError):
                await asyncio.wait_for(c.login_officer("li", "bad"), WAIT)
        with pytest.raises(HubRequestError) as err:
            await asyncio.wait_for(c.login_officer("li", PASSWORD), WAIT)
        assert err.value.code == "rate_limited"
    finally:
        await c.close()


async def test_enrolment_code_is_single_use(hub: HubHarness) -> None:
    code, expires = await hub.hub.accounts.create_enrollment_code("某某社区居委会", "K1")
    assert len(normalise_code(code)) == 8 and set(normalise_code(code)) <= set(CODE_ALPHABET)
    assert dt.timedelta(hours=23) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=24)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=hub.ssl())) as http:
        typed = code.lower().replace("-", " ")  # typed sloppily: still accepted
        async with http.post(
            f"{hub.url}/api/v1/devices/enroll", json={"code": typed, "name": "K1"}
        ) as resp:
            body = await resp.json()
            assert resp.status == 200, body
            assert body["point"]["name"] == "某某社区居委会" and body["device_id"] >= 1
            assert len(body["secret"]) >= 32
        async with http.post(
            f"{hub.url}/api/v1/devices/enroll", json={"code": code, "name": "K1"}
        ) as resp:
            assert resp.status == 401


async def test_expired_enrolment_code_is_refused(hub: HubHarness) -> None:
    code, _ = await hub.hub.accounts.create_enrollment_code("p", "K1", ttl=dt.timedelta(seconds=-1))
    c = client(hub)
    try:
        with pytest.raises(HubAuthError):
            await asyncio.wait_for(c.enroll(code, "K1"), WAIT)
    finally:
        await c.close()


async def test_device_token_and_websocket_auth(hub: HubHarness) -> None:
    credential = await hub.kiosk_credential("K2")
    c = client(hub)
    try:
        await asyncio.wait_for(c.login_device(credential), WAIT)
        welcome = await asyncio.wait_for(c.connect(), WAIT)
        assert welcome.role is Role.KIOSK and welcome.subject_id == credential.device_id
        assert "K2" in welcome.display_name
    finally:
        await c.close()
    bad = client(hub)
    try:
        with pytest.raises(HubAuthError):
            await asyncio.wait_for(
                bad.login_device(DeviceCredential(credential.device_id, "wrong")), WAIT
            )
        with pytest.raises(HubAuthError):
            await asyncio.wait_for(bad.login_device(DeviceCredential(9999, "x")), WAIT)
    finally:
        await bad.close()


async def test_websocket_refuses_bad_and_expired_tokens(hub: HubHarness) -> None:
    user_id = await hub.user("zhao")
    expired = await hub.hub.accounts.logins.start("user", user_id, "test")
    await expire_login(hub, expired.login_id)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=hub.ssl())) as http:
        for headers in (
            {},
            {"Authorization": "Bearer not-a-token"},
            {"Authorization": f"Bearer {expired.token}"},
            {"Authorization": f"Basic {expired.token}"},
        ):
            with pytest.raises(aiohttp.WSServerHandshakeError) as err:
                await asyncio.wait_for(
                    http.ws_connect(f"{hub.url.replace('https', 'wss')}/ws", headers=headers),
                    WAIT,
                )
            assert err.value.status == 401
        # An expired token is refused on the HTTP API too.
        async with http.get(
            f"{hub.url}/api/v1/sessions", headers={"Authorization": f"Bearer {expired.token}"}
        ) as resp:
            assert resp.status == 401
