"""The second factor against a real hub: enrol, log in with a code, wrong and reused codes,
recovery codes, and an administrator's reset of a lost factor (audited, with a reason).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from sqlalchemy import select

from backoffice_console.hub.core.models import AuditEntry
from shared.hubclient import HubAuthError, HubClient, HubRequestError
from shared.protocol import Role
from tests.support.hub_fixtures import PASSWORD, WAIT, HubHarness, _ignore


async def actions(hub: HubHarness) -> list[str]:
    async with hub.hub.db.session() as s:
        return list(await s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def code_at(secret: str, steps_from_now: int) -> str:
    totp = pyotp.TOTP(secret)
    return totp.at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30 * steps_from_now))


async def test_enrol_log_in_wrong_code_recovery_and_reset(hub: HubHarness) -> None:
    peer = await hub.officer("zhao", Role.SUPERVISOR)
    enrolment = await peer.client.post_json("/api/v1/auth/totp/enrol", {})
    secret = enrolment["secret"]
    uri = urlparse(enrolment["otpauth_uri"])
    assert uri.scheme == "otpauth" and parse_qs(uri.query)["secret"] == [secret]
    with pytest.raises(HubRequestError) as err:
        await peer.client.post_json("/api/v1/auth/totp/confirm", {"code": "000000"})
    assert err.value.code == "forbidden"
    confirmed = await peer.client.post_json(
        "/api/v1/auth/totp/confirm", {"code": code_at(secret, -1)}
    )
    recovery = confirmed["codes"]
    assert len(recovery) == 10 and len(set(recovery)) == 10

    client = HubClient(hub.url, hub.ca, _ignore)
    try:
        with pytest.raises(HubRequestError) as err:  # the password alone is not enough
            await asyncio.wait_for(client.login_officer("zhao", PASSWORD), WAIT)
        assert err.value.code == "totp_required"
        wrong = f"{(int(code_at(secret, 0)) + 1) % 1_000_000:06d}"
        with pytest.raises(HubAuthError):
            await asyncio.wait_for(client.login_officer("zhao", PASSWORD, totp_code=wrong), WAIT)
        # The code of step -1 was spent by the confirmation: it is never accepted again.
        with pytest.raises(HubAuthError):
            await asyncio.wait_for(
                client.login_officer("zhao", PASSWORD, totp_code=code_at(secret, -1)), WAIT
            )
        user = await asyncio.wait_for(
            client.login_officer("zhao", PASSWORD, totp_code=code_at(secret, 1)), WAIT
        )
        assert user["username"] == "zhao"
        # A right code with the wrong password is still a wrong log-in.
        with pytest.raises(HubAuthError):
            await asyncio.wait_for(
                client.login_officer("zhao", "not the password", totp_code=code_at(secret, 1)),
                WAIT,
            )
    finally:
        await client.close()

    # A recovery code works once.
    for expected_ok in (True, False):
        other = HubClient(hub.url, hub.ca, _ignore)
        try:
            body = {"username": "zhao", "password": PASSWORD, "recovery_code": recovery[0]}
            call = other._call("POST", "/api/v1/auth/login", renew=False, json=body)
            if expected_ok:
                assert (await asyncio.wait_for(call, WAIT))["user"]["username"] == "zhao"
            else:
                with pytest.raises(HubAuthError):
                    await asyncio.wait_for(call, WAIT)
        finally:
            await other.close()

    # The factor is lost: an administrator removes it, with a reason; the password suffices.
    admin = await hub.officer("boss", Role.ADMIN)
    assert peer.client.welcome is not None
    user_id = peer.client.welcome.subject_id
    with pytest.raises(HubRequestError) as err:
        await peer.client.post_json(f"/api/v1/users/{user_id}/totp-reset", {"reason": "self"})
    assert err.value.code == "forbidden"
    await admin.client.post_json(f"/api/v1/users/{user_id}/totp-reset", {"reason": "phone lost"})
    again = HubClient(hub.url, hub.ca, _ignore)
    try:
        await asyncio.wait_for(again.login_officer("zhao", PASSWORD), WAIT)
    finally:
        await again.close()
    done = await actions(hub)
    for action in ("auth.totp_enrol", "auth.totp_enabled", "auth.totp_failed",
                   "auth.recovery_used", "user.totp_reset"):  # fmt: skip
        assert action in done, action
    async with hub.hub.db.session() as s:
        reset = await s.scalar(select(AuditEntry).where(AuditEntry.action == "user.totp_reset"))
    assert reset is not None and reset.detail == {"user_id": user_id, "reason": "phone lost"}
