"""The audit log as a hash chain: proved, tampering found, concurrent writers, the query API.

Against a real hub (and its database); the PostgreSQL reruns are in test_audit_postgres.py.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import delete, func, select, text, update

from backoffice_console.hub.__main__ import run
from backoffice_console.hub.core.audit import AuditLog
from backoffice_console.hub.core.audit_verify import verify_chain
from backoffice_console.hub.core.models import AuditEntry, AuditHead
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db import Database
from backoffice_console.hub.db.engine import migrate
from backoffice_console.hub.provision import CONFIG_NAME
from shared.hubclient import HubRequestError
from shared.protocol import Role
from shared.protocol.sessions import AuditPage
from tests.hub.identity.test_routes import in_call
from tests.support.hub_fixtures import WAIT, HubHarness

WRITERS = 40


async def _ids(db: Database) -> list[int]:
    async with db.session() as s:
        return list(await s.scalars(select(AuditEntry.id).order_by(AuditEntry.seq)))


async def test_the_chain_is_proved_and_a_changed_row_is_named(hub: HubHarness) -> None:
    await in_call(hub)  # logins, enrolment, queue, session: rows of many kinds
    db = hub.hub.db
    report = await verify_chain(db)
    assert report.ok and report.rows >= 8, report.text()
    ids = await _ids(db)
    victim = ids[len(ids) // 2]
    async with db.session() as s, s.begin():  # an edit made behind the hub's back
        await s.execute(
            update(AuditEntry).where(AuditEntry.id == victim).values(detail={"edited": True})
        )
    broken = await verify_chain(db)
    assert not broken.ok and broken.broken_id == victim
    assert "changed" in (broken.problem or "") and f"row id {victim}" in broken.text()


async def test_a_deleted_row_and_a_cut_tail_are_found(hub: HubHarness) -> None:
    await in_call(hub)
    db = hub.hub.db
    ids = await _ids(db)
    async with db.session() as s, s.begin():
        await s.execute(delete(AuditEntry).where(AuditEntry.id == ids[-1]))
    cut = await verify_chain(db)
    assert not cut.ok and "head names seq" in (cut.problem or "")
    async with db.session() as s, s.begin():
        await s.execute(delete(AuditEntry).where(AuditEntry.id == ids[3]))
    gap = await verify_chain(db)
    assert not gap.ok and gap.broken_id == ids[4] and "missing" in (gap.problem or "")


async def test_concurrent_writers_of_two_hubs_keep_one_chain(hub: HubHarness) -> None:
    """Two `Database` engines on one database stand for two hub instances."""
    first = hub.hub.core.audit
    second_db = Database(hub.hub.db.url)
    try:
        second = AuditLog(second_db)
        who = Principal(Role.ADMIN, 1, "admin")
        await asyncio.wait_for(
            asyncio.gather(
                *(
                    (first if n % 2 else second).write(who, "test.concurrent", n=n)
                    for n in range(WRITERS)
                )
            ),
            60,
        )
    finally:
        await second_db.dispose()
    db = hub.hub.db
    report = await verify_chain(db)
    assert report.ok, report.text()
    async with db.session() as s:
        seqs = list(await s.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)))
        written = await s.scalar(select(func.count()).where(AuditEntry.action == "test.concurrent"))
    assert written == WRITERS and seqs == list(range(1, len(seqs) + 1))


async def test_a_rolled_back_transaction_leaves_no_gap(hub: HubHarness) -> None:
    db = hub.hub.db
    with pytest.raises(RuntimeError):
        async with db.session() as s, s.begin():
            s.add(AuditEntry(actor_kind="hub", action="test.rolled_back", detail={}))
            await s.flush()
            raise RuntimeError("the change this row recorded failed")
    await hub.hub.core.audit.write(None, "test.after")
    assert (await verify_chain(db)).ok
    # A row flushed early in its transaction (a later query autoflushes it) is chained too.
    async with db.session() as s, s.begin():
        s.add(AuditEntry(actor_kind="hub", action="test.flushed_early", detail={}))
        await s.flush()
        s.add(AuditEntry(actor_kind="hub", action="test.added_late", detail={}))
    report = await verify_chain(db)
    assert report.ok, report.text()
    async with db.session() as s:
        unchained = await s.scalar(select(func.count()).where(AuditEntry.seq.is_(None)))
    assert unchained == 0


async def test_audit_api_pages_newest_first_filters_and_exports(hub: HubHarness) -> None:
    officer, kiosk, sid = await in_call(hub)
    admin = await hub.officer("auditor1", Role.AUDITOR)
    seen: list[int] = []
    before: int | None = None
    while True:
        params = {"limit": "3", **({"before": str(before)} if before else {})}
        page = AuditPage.model_validate(await admin.client.get_json("/api/v1/audit", **params))
        seen += [e.seq for e in page.entries]
        assert len(page.entries) <= 3
        if page.next_cursor is None:
            break
        before = page.next_cursor
    # Every row once, newest first (each page's own audit.read row comes after the pages).
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen))
    assert seen[-1] == 1

    async def get(**params: str) -> AuditPage:
        return AuditPage.model_validate(await admin.client.get_json("/api/v1/audit", **params))

    in_session = await get(session_id=sid)
    assert all(e.session_id == sid for e in in_session.entries)
    assert "session.start" in {e.action for e in in_session.entries}
    auth = await get(action="auth.*")
    assert auth.entries and all(e.action.startswith("auth.") for e in auth.entries)
    assert officer.client.welcome is not None
    mine = await get(actor_kind="user", actor_id=str(officer.client.welcome.subject_id))
    assert mine.entries and all(
        e.actor_id == officer.client.welcome.subject_id for e in mine.entries
    )
    case_no = (await officer.client.get_json(f"/api/v1/sessions/{sid}/case"))["case_no"]
    by_case = await get(case=case_no)
    assert by_case.entries and {e.session_id for e in by_case.entries} == {sid}
    assert (await get(case="SL20000101-000000")).entries == []
    tomorrow = (dt.datetime.now().astimezone().date() + dt.timedelta(days=1)).isoformat()
    assert (await get(**{"from": tomorrow})).entries == []
    today = dt.datetime.now().astimezone().date().isoformat()
    assert (await get(**{"from": today, "to": today})).entries
    for bad in ({"limit": "0"}, {"from": "yesterday"}, {"actor_kind": "robot"},
                {"from": "2026-12-07T10:00:00"}, {"format": "xml"}):  # fmt: skip
        with pytest.raises(HubRequestError) as err:
            await admin.client.get_json("/api/v1/audit", **bad)
        assert err.value.code == "bad_message", bad

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=hub.ssl())) as http:
        headers = {"Authorization": f"Bearer {admin.client._token}"}
        url = f"{hub.url}/api/v1/audit?format=csv&session_id={sid}"
        async with http.get(url, headers=headers) as resp:
            assert resp.status == 200 and resp.content_type == "text/csv"
            body = (await resp.read()).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows and {r["session_id"] for r in rows} == {sid}
    assert len(rows[0]["row_hash"]) == 64
    # Reading the log is itself in the log, with what was asked.
    reads = await get(action="audit.*")
    asked = [e.detail for e in reads.entries if e.action == "audit.export"]
    assert asked and asked[0]["filter"] == {"session_id": sid}
    # Officers and kiosks read none of it.
    for peer in (officer, kiosk):
        with pytest.raises(HubRequestError) as err:
            await peer.client.get_json("/api/v1/audit")
        assert err.value.code == "forbidden"


def test_cli_audit_verify_proves_or_names_the_broken_row(tmp_path: Path) -> None:
    assert run(["init", "--dir", str(tmp_path / "hub")]) == 0
    toml = str(tmp_path / "hub" / CONFIG_NAME)
    password = tmp_path / "pw"
    password.write_text("correct horse 1\n")
    common = ["--display-name", "王", "--password-file", str(password)]
    assert run(["--config", toml, "add-user", "--username", "wang", *common]) == 0
    assert run(["--config", toml, "add-user", "--username", "li", *common]) == 0
    assert run(["--config", toml, "audit", "verify"]) == 0
    db_file = tmp_path / "hub" / "hub.sqlite3"

    async def tamper() -> int:
        db = Database(f"sqlite+aiosqlite:///{db_file}")
        try:
            async with db.session() as s, s.begin():
                first = await s.scalar(select(func.min(AuditEntry.id)))
                await s.execute(
                    text("UPDATE audit_log SET action = 'x' WHERE id = :i"), {"i": first}
                )
            assert first is not None
            return first
        finally:
            await db.dispose()

    asyncio.run(tamper())
    assert run(["--config", toml, "audit", "verify"]) == 1


async def test_the_migration_chains_the_rows_already_there(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        await asyncio.wait_for(migrate(db.engine, "0011"), WAIT * 6)
        async with db.engine.begin() as conn:
            for n in range(5):
                await conn.execute(
                    text(
                        "INSERT INTO audit_log (at, actor_kind, actor_id, action, detail) "
                        "VALUES (:at, 'hub', NULL, 'old.row', :detail)"
                    ),
                    {"at": f"2026-01-01 08:00:0{n}.001234", "detail": f'{{"n": {n}}}'},
                )
        await asyncio.wait_for(db.migrate(), WAIT * 6)
        report = await verify_chain(db)
        assert report.ok and report.rows == 5, report.text()
        async with db.session() as s:
            head = await s.get(AuditHead, 1)
        assert head is not None and head.last_seq == 5
        await AuditLog(db).write(None, "new.row")
        assert (await verify_chain(db)).rows == 6
    finally:
        await db.dispose()


async def test_reads_of_residents_data_are_audited(hub: HubHarness) -> None:
    officer, _, sid = await in_call(hub)
    supervisor = await hub.officer("sup1", Role.SUPERVISOR)
    case_no = (await officer.client.get_json(f"/api/v1/sessions/{sid}/case"))["case_no"]
    await officer.client.get_json(f"/api/v1/cases/{case_no}")
    await officer.client.get_json("/api/v1/cases")
    await officer.client.get_json(f"/api/v1/sessions/{sid}/materials")
    await supervisor.client.get_json("/api/v1/ratings")
    await supervisor.client.get_json("/api/v1/follow-ups")
    await supervisor.client.get_json("/api/v1/rectifications")
    async with hub.hub.db.session() as s:
        rows = list(await s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    by_action: dict[str, list[AuditEntry]] = {}
    for row in rows:
        by_action.setdefault(row.action, []).append(row)
    reads = by_action["case.read"]
    assert len(reads) == 2 and all(r.detail == {"case_no": case_no} for r in reads)
    assert all(r.session_id == sid for r in reads)
    for action in ("case.list", "material.list", "rating.list", "followup.list",
                   "rectification.list"):  # fmt: skip
        assert action in by_action, action
    assert by_action["material.list"][0].session_id == sid
    assert supervisor.client.welcome is not None
    assert by_action["rating.list"][0].actor_id == supervisor.client.welcome.subject_id
