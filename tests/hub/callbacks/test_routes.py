"""Call-back requests through a real hub: stored encrypted, listed masked, closed once, audited."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from backoffice_console.hub.callbacks.models import CallbackRequest
from backoffice_console.hub.core.models import AuditEntry
from shared.hubclient import HubClient, HubRequestError
from shared.protocol import Role
from shared.protocol.callbacks import InvalidPhone, mask_phone, normalize_phone
from tests.support.hub_fixtures import PASSWORD, WAIT, HubHarness

PHONE = "13912345678"
LANDLINE = "021-62345678"


async def _ignore(_: object) -> None:
    return None


async def _rows(hub: HubHarness) -> int:
    async with hub.hub.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(CallbackRequest)) or 0)


async def _client(hub: HubHarness, role: Role | None, name: str) -> HubClient:
    client = HubClient(hub.url, hub.ca, _ignore)
    if role is None:
        credential = await hub.kiosk_credential(name)
        await asyncio.wait_for(client.login_device(credential), WAIT)
    else:
        await hub.user(name, role)
        await asyncio.wait_for(client.login_officer(name, PASSWORD), WAIT)
    return client


async def _refused(coro: object, code: str) -> None:
    with pytest.raises(HubRequestError) as info:
        await asyncio.wait_for(coro, WAIT)  # type: ignore[arg-type]
    assert info.value.code == code, info.value


async def test_callback_cycle(hub: HubHarness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    kiosk = await _client(hub, None, "kiosk-cb")
    officer = await _client(hub, Role.OFFICER, "officer-cb")
    supervisor = await _client(hub, Role.SUPERVISOR, "super-cb")
    tech = await _client(hub, Role.TECHNICIAN, "tech-cb")
    try:
        # Bad input: a clear error and nothing stored.
        for phone in ("12345678901", "1391234567", "abc", "139123456789", "00012345678"):
            body = {"matter_code": "civil.dbsq", "phone": phone}
            await _refused(kiosk.post_json("/api/v1/callbacks", body), "bad_message")
        body = {"matter_code": "no.such.matter", "phone": PHONE}
        await _refused(kiosk.post_json("/api/v1/callbacks", body), "not_found")
        extra: dict[str, Any] = {"matter_code": "civil.dbsq", "phone": PHONE, "extra": 1}
        await _refused(kiosk.post_json("/api/v1/callbacks", extra), "bad_message")
        body = {"matter_code": "civil.dbsq", "phone": PHONE}
        await _refused(officer.post_json("/api/v1/callbacks", body), "forbidden")
        assert await _rows(hub) == 0

        first = await kiosk.post_json(
            "/api/v1/callbacks", {"matter_code": "civil.dbsq", "phone": PHONE, "note": "上午"}
        )
        assert first["phone_masked"] == "139****5678"
        second = await kiosk.post_json(
            "/api/v1/callbacks", {"matter_code": "hrss.ylzg", "phone": LANDLINE}
        )
        assert await _rows(hub) == 2

        # At rest: encrypted, nothing of the number in clear.
        async with hub.hub.db.session() as s:
            rows = list(await s.scalars(select(CallbackRequest).order_by(CallbackRequest.id)))
            audits = list(await s.scalars(select(AuditEntry)))
        for row in rows:
            assert PHONE.encode() not in row.ciphertext and b"62345678" not in row.ciphertext
            assert row.key_id == hub.hub.identities.vault.key_id  # type: ignore[union-attr]
        assert rows[0].point_id == rows[1].point_id and rows[0].state == "open"
        assert [a.action for a in audits].count("callback.create") == 2
        assert all(PHONE not in str(a.detail) for a in audits)

        await _refused(kiosk.get_json("/api/v1/callbacks"), "forbidden")
        await _refused(tech.get_json("/api/v1/callbacks"), "forbidden")
        await _refused(officer.get_json("/api/v1/callbacks", state="bogus"), "bad_message")
        listed = (await officer.get_json("/api/v1/callbacks"))["callbacks"]
        assert [c["id"] for c in listed] == [first["id"], second["id"]]
        assert listed[0]["phone_masked"] == "139****5678" and listed[0]["note"] == "上午"
        assert listed[0]["matter_name"] == "低保申请"
        assert listed[1]["phone_masked"] == "021****5678"
        assert PHONE not in str(listed) and "62345678" not in str(listed)

        revealed = await officer.get_json(f"/api/v1/callbacks/{first['id']}/phone")
        assert revealed["phone"] == PHONE

        done_path = f"/api/v1/callbacks/{first['id']}/done"
        await _refused(kiosk.post_json(done_path, {"note": "x"}), "forbidden")
        await _refused(officer.post_json(done_path, {"note": "x" * 501}), "bad_message")
        await _refused(officer.post_json("/api/v1/callbacks/999/done", {}), "not_found")
        # Every route's path ids follow one rule: what is not an id names nothing.
        await _refused(officer.post_json("/api/v1/callbacks/abc/done", {}), "not_found")
        await _refused(officer.post_json(f"/api/v1/callbacks/{2**63}/done", {}), "not_found")
        assert (await supervisor.post_json(done_path, {"note": "已回电"}))["state"] == "done"
        await _refused(officer.post_json(done_path, {"note": "again"}), "conflict")
        still_open = (await officer.get_json("/api/v1/callbacks"))["callbacks"]
        assert [c["id"] for c in still_open] == [second["id"]]
        done = (await officer.get_json("/api/v1/callbacks", state="done"))["callbacks"]
        assert done[0]["done_note"] == "已回电" and done[0]["done_at"]

        async with hub.hub.db.session() as s:
            actions = list(await s.scalars(select(AuditEntry.action)))
        assert actions.count("callback.reveal") == 1 and actions.count("callback.done") == 1
        assert actions.count("callback.list") >= 3
    finally:
        for client in (kiosk, officer, supervisor, tech):
            await client.close()
    # The number never reaches a log, whole or in its landline form.
    assert PHONE not in caplog.text and "62345678" not in caplog.text


def test_phone_rules_examples() -> None:
    assert normalize_phone("139 1234 5678") == PHONE
    assert normalize_phone("0755-8765432") == "07558765432"
    assert normalize_phone("62345678") == "62345678"
    for bad in ("", "1", "23456789012", "+8613912345678", "139-1234-567x", "0000000"):
        with pytest.raises(InvalidPhone) as info:
            normalize_phone(bad)
        assert str(info.value) == str(InvalidPhone())  # one fixed message: never the input


@settings(max_examples=150, deadline=None)
@given(st.sampled_from("3456789"), st.text("0123456789", min_size=9, max_size=9))
def test_every_mainland_mobile_is_accepted_and_masked(second: str, rest: str) -> None:
    phone = "1" + second + rest
    assert normalize_phone(phone) == phone
    masked = mask_phone(phone)
    assert masked == phone[:3] + "****" + phone[-4:]


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=0, max_size=24))
def test_anything_else_is_refused_without_quoting_it(text: str) -> None:
    try:
        digits = normalize_phone(text)
    except InvalidPhone as exc:
        assert str(exc) == str(InvalidPhone())
        return
    assert digits.isdigit() and 7 <= len(digits) <= 12
