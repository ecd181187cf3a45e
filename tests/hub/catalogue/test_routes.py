"""The catalogue through a real hub: seeding, ETag, imports, rejections, old versions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import aiohttp
from sqlalchemy import func, select

from backoffice_console.hub.catalogue.models import CatalogueVersion
from backoffice_console.hub.catalogue.store import CatalogueStore
from backoffice_console.hub.core.models import AuditEntry
from shared.catalogue import Catalogue
from shared.catalogue.io import dump_csv, dump_json, load_sample
from shared.protocol import Role
from tests.support.hub_fixtures import PASSWORD, WAIT, HubHarness


async def _token(hub: HubHarness, username: str, role: Role) -> str:
    await hub.user(username, role)
    token, _ = await hub.hub.accounts.login(username, PASSWORD)
    return token.token


async def _call(
    hub: HubHarness,
    token: str,
    method: str,
    path: str,
    data: bytes | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, Mapping[str, str]]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=hub.ssl())) as session:
        async with asyncio.timeout(WAIT):
            resp = await session.request(
                method,
                hub.url + path,
                data=data,
                headers={"Authorization": f"Bearer {token}", **(headers or {})},
            )
            body = await resp.read()
    parsed = json.loads(body) if body else None
    return resp.status, parsed, resp.headers.copy()  # case-insensitive keys


async def _state(hub: HubHarness) -> tuple[int, list[tuple[int, bool]]]:
    version_id, _ = await _store(hub).current()  # seeds an empty hub first
    async with hub.hub.db.session() as s:
        rows = (await s.execute(select(CatalogueVersion.id, CatalogueVersion.current))).all()
    return version_id, sorted((r[0], r[1]) for r in rows)


def _store(hub: HubHarness) -> CatalogueStore:
    # A second store on the same database: it shares nothing with the app's but the tables.
    return CatalogueStore(hub.hub.db)


async def _kiosk_token(hub: HubHarness) -> str:
    credential = await hub.kiosk_credential("K1")
    token = await hub.hub.accounts.device_token(credential.device_id, credential.secret)
    return token.token


async def _check_serving_seeded_sample_with_etag(hub: HubHarness, kiosk: str) -> None:
    status, body, headers = await _call(hub, kiosk, "GET", "/api/v1/catalogue")
    assert status == 200
    assert Catalogue.model_validate(body["catalogue"]) == load_sample()
    assert body["label"] == "2026.11-sample" and isinstance(body["version_id"], int)
    etag = headers["ETag"]
    status, _, _ = await _call(
        hub, kiosk, "GET", "/api/v1/catalogue", headers={"If-None-Match": etag}
    )
    assert status == 304
    status, body, _ = await _call(hub, "nonsense", "GET", "/api/v1/catalogue")
    assert status == 401 and body["code"] == "unauthorized"
    # Another hub process on the same database serves the same current version.
    assert (await _store(hub).current())[1] == load_sample()


async def test_import_switches_version_and_keeps_the_old_one(hub: HubHarness) -> None:
    admin = await _token(hub, "admin", Role.ADMIN)
    old_id, sample = await _store(hub).current()
    matters = [m for m in sample.matters if m.code != "legal.flzx"]
    matters[0] = matters[0].model_copy(update={"notes": "新的说明", "difficulty": "simple"})
    new = sample.model_copy(update={"version": "2026.12", "sample": False, "matters": matters})
    path = "/api/v1/catalogue/import?format=csv"

    status, dry, _ = await _call(hub, admin, "POST", path + "&dry_run=1", dump_csv(new))
    assert status == 200 and dry["dry_run"] is True and dry["version_id"] is None
    assert dry["diff"]["matters_removed"] == ["legal.flzx"]
    assert dry["diff"]["matters_changed"] == [
        {"code": matters[0].code, "fields": ["difficulty", "notes"]}
    ]
    assert (await _store(hub).current())[0] == old_id, "a dry run changes nothing"

    status, done, _ = await _call(hub, admin, "POST", path, dump_csv(new))
    assert status == 200 and done["created"] is True and done["diff"] == dry["diff"]
    assert done["summary"] == "2026.11-sample -> 2026.12: matters -1 ~1"
    new_id, current = await _store(hub).current()
    assert new_id == done["version_id"] != old_id and current == new
    status, body, _ = await _call(hub, admin, "GET", "/api/v1/catalogue")
    assert body["version_id"] == new_id and body["label"] == "2026.12"

    # The old version stays readable by id (old cases are shown under it).
    officer = await _token(hub, "o1", Role.OFFICER)
    status, body, _ = await _call(hub, officer, "GET", f"/api/v1/catalogue/versions/{old_id}")
    assert status == 200 and Catalogue.model_validate(body["catalogue"]) == sample
    assert (await _store(hub).version(old_id)) == sample
    status, body, _ = await _call(hub, admin, "GET", "/api/v1/catalogue/versions")
    assert [(v["id"], v["current"]) for v in body["versions"]] == [(new_id, True), (old_id, False)]
    assert body["versions"][0]["format"] == "csv" and body["versions"][0]["matters"] == 50
    status, _, _ = await _call(hub, admin, "GET", "/api/v1/catalogue/versions/999")
    assert status == 404

    # Importing the old catalogue again (as JSON) reactivates its row, no duplicate.
    status, back, _ = await _call(hub, admin, "POST", "/api/v1/catalogue/import", dump_json(sample))
    assert status == 200 and back["version_id"] == old_id and back["created"] is False
    assert back["diff"]["matters_added"] == ["legal.flzx"]
    _, rows = await _state(hub)
    assert rows == [(old_id, True), (new_id, False)]
    async with hub.hub.db.session() as s:
        audits = (
            await s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("catalogue.%")))
        ).all()
    assert sorted(audits) == sorted(
        ["catalogue.import"] * 3 + ["catalogue.dry_run"]  # seed, import, re-activation
    )


async def test_serving_and_bad_files_and_non_admins_change_nothing(hub: HubHarness) -> None:
    # One hub for all of these: each user or kiosk costs argon2 work.
    kiosk = await _kiosk_token(hub)
    await _check_serving_seeded_sample_with_etag(hub, kiosk)
    admin = await _token(hub, "admin", Role.ADMIN)
    before = await _state(hub)
    good = json.loads(dump_json(load_sample()))
    dup = json.loads(json.dumps(good))
    dup["matters"][1]["code"] = dup["matters"][0]["code"]
    unknown_line = json.loads(json.dumps(good))
    unknown_line["matters"][0]["line"] = "nosuch"
    missing = json.loads(json.dumps(good))
    del missing["matters"][0]["materials"][0]["name"]
    cases: list[tuple[str, bytes, str]] = [
        ("json", json.dumps(dup).encode(), "duplicate matter code"),
        ("json", json.dumps(unknown_line).encode(), "unknown line nosuch"),
        ("json", json.dumps(missing).encode(), "missing"),
        ("csv", b'\xef\xbb\xbf#version,x\nline,line_name,code,name\ncivil,"oops\n', "malformed"),
        ("csv", "#version,x\nline,code\n".encode("gb18030"), "missing column"),
        ("csv", "#version,x\nline,line_name,code,name\n民政,民政,a,b\n".encode("gbk"), "UTF-8"),
    ]
    for fmt, data, expected in cases:
        status, body, _ = await _call(
            hub, admin, "POST", f"/api/v1/catalogue/import?format={fmt}", data
        )
        assert status == 422, (expected, body)
        assert body["ok"] is False and any(expected in p["message"] for p in body["problems"]), (
            expected,
            body["problems"],
        )
    # A dry run of a bad file answers the problems as its (successful) result.
    status, body, _ = await _call(
        hub, admin, "POST", "/api/v1/catalogue/import?format=json&dry_run=1", cases[0][1]
    )
    assert (
        status == 200 and body["ok"] is False and body["problems"][0]["field"] == "matters[1].code"
    )
    status, body, _ = await _call(hub, admin, "POST", "/api/v1/catalogue/import?format=xls", b"x")
    assert status == 422 and body["problems"][0]["field"] == "format"
    status, body, _ = await _call(hub, admin, "POST", "/api/v1/catalogue/import", b"")
    assert status == 400
    status, body, _ = await _call(
        hub, admin, "POST", "/api/v1/catalogue/import?dry_run=maybe", dump_json(load_sample())
    )
    assert status == 400

    # Non-admins: refused before the body is even looked at.
    changed = load_sample().model_copy(update={"version": "evil"})
    for username, role in (("sup", Role.SUPERVISOR),):
        token = await _token(hub, username, role)
        status, body, _ = await _call(
            hub, token, "POST", "/api/v1/catalogue/import", dump_json(changed)
        )
        assert status == 403 and body["code"] == "forbidden"
        status, _, _ = await _call(hub, token, "GET", "/api/v1/catalogue/versions")
        assert status == 403
    status, _, _ = await _call(hub, kiosk, "POST", "/api/v1/catalogue/import", dump_json(changed))
    assert status == 403
    assert await _state(hub) == before
    async with hub.hub.db.session() as s:
        rejected = await s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "catalogue.import_rejected")
        )
    assert rejected == len(cases) + 2
