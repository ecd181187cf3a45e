"""Device commands and identities through a real hub: relay, checks, encryption, reveal, audit."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from backoffice_console.hub.core.models import AuditEntry
from backoffice_console.hub.core.vault import IdentityVault
from backoffice_console.hub.identity.models import StoredIdentity
from backoffice_console.hub.provision import prepare_dir
from backoffice_console.hub.server import start
from shared.hubclient import HubRequestError
from shared.protocol import (
    DeviceCommand,
    DeviceErrorCode,
    DeviceFailed,
    DeviceProgress,
    IdentityReport,
    ProtocolError,
    QueueJoin,
    Role,
    SessionEnd,
    TicketTake,
    decode_client_message,
    encode,
)
from tests.support.hub_fixtures import WAIT, HubHarness, HubView, Peer, refusal, req
from tests.support.identity_samples import EXPIRED_NUMBER, OTHER_NUMBER, VALID_NUMBER, record


async def in_call(hub: HubHarness, officer_name: str = "o1") -> tuple[Peer, Peer, str]:
    officer = await hub.officer(officer_name)
    kiosk = await hub.kiosk(f"K-{officer_name}")
    await req(kiosk, QueueJoin(matter="civil.dbsq"))
    ticket = (await kiosk.next("queue.status")).ticket_id
    await req(officer, TicketTake(ticket_id=ticket))
    session_id = (await kiosk.next("session.started")).session_id
    await officer.skip_to("session.started")
    return officer, kiosk, session_id


async def audit_rows(hub: HubHarness, action: str) -> list[AuditEntry]:
    async with hub.hub.db.session() as s:
        return list(await s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def identity_count(hub: HubHarness) -> int:
    async with hub.hub.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(StoredIdentity)) or 0)


async def http(hub: HubHarness, peer: Peer, method: str, path: str) -> Any:
    call = peer.client.post_json(path, {}) if method == "POST" else peer.client.get_json(path)
    return await asyncio.wait_for(call, WAIT)


async def test_read_command_progress_identity_and_reveal(hub: HubHarness) -> None:
    officer, kiosk, sid = await in_call(hub)

    await req(officer, DeviceCommand(session_id=sid, command_id="c1", kind="idcard.read"))
    command = await kiosk.skip_to("device.command")
    assert (command.session_id, command.command_id, command.kind) == (sid, "c1", "idcard.read")
    assert command.id is None

    await req(kiosk, DeviceProgress(session_id=sid, command_id="c1", kind="idcard.read",
                                    stage="waiting_for_card"))  # fmt: skip
    progress = await officer.skip_to("device.progress")
    assert progress.stage == "waiting_for_card" and progress.command_id == "c1"

    await req(kiosk, IdentityReport(session_id=sid, command_id="c1", record=record().to_dict()))
    update = await officer.skip_to("identity.update")
    assert update.command_id == "c1" and update.name == "测试居民甲"
    assert update.masked_id == VALID_NUMBER[:6] + "********" + VALID_NUMBER[-4:]
    assert update.age == record().age(dt.date.today()) and update.expired is False
    assert update.has_photo is True and update.valid_to == dt.date(2036, 5, 1)
    assert update.source == "id_card" and update.card_type == "resident"
    assert VALID_NUMBER not in update.model_dump_json()

    # At rest: neither the number, the name nor the photo in clear; bound to the session.
    async with hub.hub.db.session() as s:
        row = (await s.scalars(select(StoredIdentity))).one()
    assert row.session_id == sid and row.command_id == "c1" and row.source == "id_card"
    for secret in (VALID_NUMBER.encode(), "测试居民甲".encode(), b"WLT"):
        assert secret not in row.ciphertext
    vault = hub.hub.identities.vault
    assert vault is not None
    assert VALID_NUMBER.encode() in vault.open(sid, row.nonce, row.ciphertext)
    with pytest.raises(Exception, match="authentication"):
        vault.open("another-session", row.nonce, row.ciphertext)

    # Reading (masked) and revealing (full) are both audited, once per call.
    masked = await http(hub, officer, "GET", f"/api/v1/sessions/{sid}/identity")
    assert masked["id_number"] == update.masked_id and masked["identity_id"] == row.id
    for _ in range(2):
        full = await http(hub, officer, "POST", f"/api/v1/sessions/{sid}/identity/reveal")
        assert full == {"identity_id": row.id, "name": "测试居民甲", "id_number": VALID_NUMBER}
    reveals = await audit_rows(hub, "identity.reveal")
    officer_id = (await officer.client.get_json("/api/v1/sessions"))[0]["officer_id"]
    assert [(r.actor_kind, r.actor_id, r.session_id) for r in reveals] == [
        ("user", officer_id, sid)
    ] * 2
    assert len(await audit_rows(hub, "identity.read")) == 1
    stored = await audit_rows(hub, "identity.store")
    assert len(stored) == 1 and stored[0].detail["identity_id"] == row.id
    commands = await audit_rows(hub, "device.command")
    assert [(c.session_id, c.detail) for c in commands] == [
        (sid, {"command_id": "c1", "kind": "idcard.read"})
    ]
    # No audit detail carries personal data.
    async with hub.hub.db.session() as s:
        for entry in await s.scalars(select(AuditEntry)):
            assert VALID_NUMBER not in str(entry.detail) and "测试居民甲" not in str(entry.detail)

    # A failure is relayed and audited with its code.
    await req(officer, DeviceCommand(session_id=sid, command_id="c2", kind="idcard.read"))
    await kiosk.skip_to("device.command")
    await req(kiosk, DeviceFailed(session_id=sid, command_id="c2", kind="idcard.read",
                                  code=DeviceErrorCode.TIMEOUT, message="no card"))  # fmt: skip
    failed = await officer.skip_to("device.failed")
    assert failed.code is DeviceErrorCode.TIMEOUT and failed.command_id == "c2"
    assert (await audit_rows(hub, "device.failed"))[0].detail["code"] == "timeout"


async def test_identity_without_command_and_expired_card(hub: HubHarness) -> None:
    officer, kiosk, sid = await in_call(hub)
    expired = record(EXPIRED_NUMBER, "测试居民丙", valid_to=dt.date(2020, 1, 1), photo=None)
    await req(kiosk, IdentityReport(session_id=sid, record=expired.to_dict()))
    update = await officer.skip_to("identity.update")
    assert update.command_id is None and update.expired is True and update.has_photo is False
    # The newest identity is the one revealed.
    await req(kiosk, IdentityReport(session_id=sid, record=record(OTHER_NUMBER).to_dict()))
    await officer.skip_to("identity.update")
    full = await http(hub, officer, "POST", f"/api/v1/sessions/{sid}/identity/reveal")
    assert full["id_number"] == OTHER_NUMBER


async def test_only_the_holding_officer_commands_and_reveals(hub: HubHarness) -> None:
    officer, kiosk, sid = await in_call(hub, "o1")
    other, _, _ = await in_call(hub, "o2")
    # Another officer (in their own call) cannot command or read this session.
    err = await refusal(other, DeviceCommand(session_id=sid, command_id="x", kind="idcard.read"))
    assert err.code == "not_in_session"
    await req(kiosk, IdentityReport(session_id=sid, record=record().to_dict()))
    await officer.skip_to("identity.update")
    for method, path in (("POST", "/identity/reveal"), ("GET", "/identity")):
        with pytest.raises(HubRequestError) as denied:
            await http(hub, other, method, f"/api/v1/sessions/{sid}{path}")
        assert denied.value.code == "not_in_session"
    # A kiosk may not send commands; an officer may not report identities.
    err = await refusal(kiosk, DeviceCommand(session_id=sid, command_id="x", kind="idcard.read"))
    assert err.code == "forbidden"
    err = await refusal(officer, IdentityReport(session_id=sid, record=record().to_dict()))
    assert err.code == "forbidden"
    # Technicians, administrators and auditors never read identities (separation of
    # duties); a supervisor may, stating why, and the reason is audited.
    for name, role in (("t1", Role.TECHNICIAN), ("a1", Role.ADMIN), ("au1", Role.AUDITOR)):
        peer = await hub.officer(name, role)
        for method, path in (("POST", "/identity/reveal"), ("GET", "/identity")):
            with pytest.raises(HubRequestError) as denied:
                await http(hub, peer, method, f"/api/v1/sessions/{sid}{path}")
            assert denied.value.code == "forbidden", (name, path)
    sup = await hub.officer("s1", Role.SUPERVISOR)
    with pytest.raises(HubRequestError) as unstated:
        await http(hub, sup, "POST", f"/api/v1/sessions/{sid}/identity/reveal")
    assert unstated.value.code == "bad_message"
    full = await http(hub, sup, "POST", f"/api/v1/sessions/{sid}/identity/reveal?reason=复核")
    assert full["id_number"] == VALID_NUMBER
    with pytest.raises(HubRequestError) as missing:
        await http(hub, sup, "POST", "/api/v1/sessions/nosuch/identity/reveal?reason=x")
    assert missing.value.code == "not_found"
    reveals = await audit_rows(hub, "identity.reveal")
    assert [(r.actor_kind, r.detail.get("reason")) for r in reveals] == [("user", "复核")]
    # After hang-up the officer no longer holds the session.
    await req(officer, SessionEnd(session_id=sid))
    with pytest.raises(HubRequestError) as ended:
        await http(hub, officer, "POST", f"/api/v1/sessions/{sid}/identity/reveal")
    assert ended.value.code == "not_in_session"
    err = await refusal(officer, DeviceCommand(session_id=sid, command_id="y", kind="idcard.read"))
    assert err.code == "not_in_session"


WRONG_CHECK = VALID_NUMBER[:17] + ("0" if VALID_NUMBER[17] != "0" else "1")
BAD_RECORDS = {
    "check_digit": lambda d: d | {"id_number": WRONG_CHECK},
    "length": lambda d: d | {"id_number": VALID_NUMBER[:17]},
    "birth_date": lambda d: d | {"id_number": "310104" + "19561341" + "0520"},
    "malformed_field": lambda d: d | {"shoe_size": "42"},
    "malformed_validity": lambda d: d | {"valid_from": "2030-01-01", "valid_to": "2020-01-01"},
    # A valid number whose card fields disagree with it (the 2999 birth date of the probe).
    "mismatch": lambda d: d | {"birth_date": "2999-01-01"},
    "mismatch_gender": lambda d: d | {"gender": "1"},
    "malformed_gender": lambda d: d | {"gender": "7"},
    "malformed_photo": lambda d: d | {"photo": "A" * 2000},
    "malformed_type": lambda d: d | {"name": ["list"]},
    "malformed_missing": lambda d: {k: v for k, v in d.items() if k != "name"},
}  # fmt: skip


async def test_invalid_identity_is_refused_and_nothing_stored(hub: HubHarness) -> None:
    officer, kiosk, sid = await in_call(hub)
    for n, case in enumerate(sorted(BAD_RECORDS)):
        bad = BAD_RECORDS[case](record().to_dict())
        command_id = f"c{n}"
        report = IdentityReport(session_id=sid, command_id=command_id, record=bad)
        err = await refusal(kiosk, report)
        assert err.code == "invalid_identity", case
        assert VALID_NUMBER[6:14] not in err.message  # no value quoted back
        failed = await officer.skip_to("device.failed")
        assert failed.code is DeviceErrorCode.INVALID_CARD and failed.command_id == command_id
        expected = case.split("_")[0] if case.startswith(("malformed", "mismatch")) else case
        assert failed.reason == expected, case
        assert (await audit_rows(hub, "identity.refused"))[n].detail["reason"] == expected
    assert await identity_count(hub) == 0
    # The connection is still good: a valid report goes through afterwards.
    await req(kiosk, IdentityReport(session_id=sid, record=record().to_dict()))
    assert (await officer.skip_to("identity.update")).masked_id.endswith(VALID_NUMBER[-4:])


def test_protocol_bounds_identity_and_commands() -> None:
    big = record().to_dict() | {"address": "路" * 9000}
    text = encode(IdentityReport(session_id="s", record=record().to_dict()))
    assert decode_client_message(text).record["id_number"] == VALID_NUMBER
    with pytest.raises(ProtocolError) as err:
        decode_client_message(text.replace('"address":"', '"address":"' + "路" * 9000, 1))
    assert err.value.code == "bad_message" and "record" in err.value.message
    assert len(big["address"]) == 9000
    for bad in (
        '{"type":"device.command","session_id":"s","command_id":"c","kind":"format.disk"}',
        '{"type":"device.command","session_id":"s","command_id":"' + "c" * 65 + '",'
        '"kind":"idcard.read"}',
        '{"type":"device.command","session_id":"s","command_id":"c","kind":"idcard.read",'
        '"params":{"A B":1}}',
        '{"type":"device.failed","session_id":"s","command_id":"c","kind":"idcard.read",'
        '"code":"melted"}',
    ):
        with pytest.raises(ProtocolError):
            decode_client_message(bad)


async def test_key_file_created_private_and_missing_key_refuses(
    tmp_path: Path, database_url: str | None
) -> None:
    config = prepare_dir(tmp_path / "hub", [], port=0)
    key = config.identity_key_file
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    first = key.read_bytes()
    prepare_dir(tmp_path / "hub", [], port=0)  # idempotent: the key is kept
    assert key.read_bytes() == first
    IdentityVault.from_file(key)

    os.remove(key)
    config.database_url = database_url or config.database_url
    config.log_dir = None
    config.check_replies = True
    runner, url = await asyncio.wait_for(start(config, 0), 30)
    harness = HubHarness(url=url, ca=config.tls_cert.parent / "ca.pem", hub=HubView(runner.app))
    try:
        _, kiosk, sid = await in_call(harness)
        err = await refusal(kiosk, IdentityReport(session_id=sid, record=record().to_dict()))
        assert err.code == "bad_state" and "key" in err.message
        assert await identity_count(harness) == 0
    finally:
        for peer in harness.peers:
            await peer.close()
        await asyncio.wait_for(runner.cleanup(), 30)


def test_record_dict_round_trip_is_what_the_kiosk_sends() -> None:
    r = record()
    assert dataclasses.asdict(type(r).from_dict(r.to_dict())) == dataclasses.asdict(r)
