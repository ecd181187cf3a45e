"""`vw-hub backup` while the hub runs, `vw-hub restore` into a new folder, a hub there.

The restored hub must serve the old case, the old page (the same bytes) and the old
identity (decrypted with the restored key), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import stat
from pathlib import Path

import pytest

from backoffice_console.hub.core.config import load_hub_config
from backoffice_console.hub.provision import prepare_dir
from shared.protocol import DeviceCommand, IdentityReport, Role
from tests.hub.identity.test_routes import in_call
from tests.hub.materials.test_routes import page_jpeg, upload
from tests.hub.test_cli import vw_hub
from tests.support.hub_fixtures import PASSWORD, HubHarness, Peer, req, running_hub
from tests.support.identity_samples import VALID_NUMBER, record
from tests.support.pg_fixtures import PgCluster, pg_cluster  # noqa: F401

WAIT = 30.0


async def _history(hub: HubHarness) -> tuple[str, dict[str, object]]:
    """A call with an identity read and a page; returns the session id and what to find."""
    officer, kiosk, sid = await in_call(hub, "o1")
    await hub.user("sup1", Role.SUPERVISOR)
    await req(officer, DeviceCommand(session_id=sid, command_id="c1", kind="idcard.read"))
    await kiosk.skip_to("device.command")
    await req(kiosk, IdentityReport(session_id=sid, command_id="c1", record=record().to_dict()))
    await officer.skip_to("identity.update")
    page = await upload(kiosk, sid, page_jpeg(3))
    return sid, {
        "case": await officer.client.get_json(f"/api/v1/sessions/{sid}/case"),
        "page": await officer.client.get_bytes(f"/api/v1/materials/{page['material_id']}"),
        "material_id": page["material_id"],
    }


async def _served(hub: HubHarness, sid: str, old: dict[str, object]) -> None:
    """The restored hub answers the old case, page and identity to the old officer."""
    officer = Peer(hub.url, hub.ca)
    hub.peers.append(officer)
    await asyncio.wait_for(officer.client.login_officer("o1", PASSWORD), WAIT)
    case = await officer.client.get_json(f"/api/v1/sessions/{sid}/case")
    before = old["case"]
    assert isinstance(before, dict)
    for key in ("case_no", "session_id", "officer_id", "matter_code", "opened_at"):
        assert case[key] == before[key], key
    assert [e["kind"] for e in case["events"]][: len(before["events"])] == [
        e["kind"] for e in before["events"]
    ]
    assert case["identity"] == before["identity"] and case["identity"] is not None
    page = await officer.client.get_bytes(f"/api/v1/materials/{old['material_id']}")
    assert page == old["page"]
    # The call is over: a supervisor reveals it, with a stated reason (decrypted with the
    # restored key).
    supervisor = Peer(hub.url, hub.ca)
    hub.peers.append(supervisor)
    await asyncio.wait_for(supervisor.client.login_officer("sup1", PASSWORD), WAIT)
    reveal = f"/api/v1/sessions/{sid}/identity/reveal?reason=备份复核"
    full = await supervisor.client.post_json(reveal, {})
    assert full["id_number"] == VALID_NUMBER and full["name"] == "测试居民甲"


async def _backup(config: Path, to: Path, key: Path, keep: int = 2) -> Path:
    rc, out, err = await vw_hub(
        "--config", str(config), "backup", "--to", str(to), "--key-file", str(key),
        "--keep", str(keep),
    )  # fmt: skip
    assert rc == 0, err
    return Path(out.strip().removeprefix("backup written: "))


async def test_backup_restore_on_sqlite(tmp_path: Path) -> None:
    key, store = tmp_path / "backup.key", tmp_path / "backups"
    assert (await vw_hub("backup-key", str(key)))[0] == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    rc, _, err = await vw_hub("backup-key", str(key))
    assert rc == 1 and "not replacing" in err  # a key is never overwritten

    async with running_hub(tmp_path / "old") as hub:
        sid, old = await _history(hub)
        config = tmp_path / "old" / "hub.toml"
        made = [await _backup(config, store, key) for _ in range(3)]  # while it runs
    assert sorted(store.iterdir()) == sorted(made[1:])  # --keep 2
    newest = made[-1]
    assert stat.S_IMODE(newest.stat().st_mode) == 0o600
    sealed = newest.read_bytes()
    assert VALID_NUMBER.encode() not in sealed and b"BEGIN PRIVATE KEY" not in sealed
    assert b"SQLite format" not in sealed

    wrong = tmp_path / "wrong.key"
    assert (await vw_hub("backup-key", str(wrong)))[0] == 0
    rc, _, err = await vw_hub(
        "restore", "--from", str(newest), "--key-file", str(wrong), "--dir", str(tmp_path / "x")
    )
    assert rc == 1 and "wrong key" in err
    assert not any((tmp_path / "x").iterdir())

    new = tmp_path / "new"
    rc, _, err = await vw_hub(
        "restore", "--from", str(newest), "--key-file", str(key), "--dir", str(new)
    )
    assert rc == 0, err
    assert (new / "tls" / "ca.pem").read_bytes() == (tmp_path / "old/tls/ca.pem").read_bytes()
    for private in ("hub.sqlite3", "keys/identity.key", "tls/ca.key", "tls/server.key"):
        assert stat.S_IMODE((new / private).stat().st_mode) == 0o600, private
    rc, _, err = await vw_hub(
        "restore", "--from", str(newest), "--key-file", str(key), "--dir", str(new)
    )
    assert rc == 1 and "restore only into a new hub" in err  # never over an existing hub
    async with running_hub(new) as hub:
        await _served(hub, sid, old)

    # The packaged folders of a new machine, handed to the service's user.
    owner = "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    etc, lib, logs = tmp_path / "etc", tmp_path / "lib", tmp_path / "log"
    rc, _, err = await vw_hub(
        "restore", "--from", str(newest), "--key-file", str(key), "--config-dir", str(etc),
        "--state-dir", str(lib), "--log-dir", str(logs), "--owner", owner,
    )  # fmt: skip
    assert rc == 0, err
    config = load_hub_config(etc / "hub.toml")
    assert (config.state_dir, config.log_dir) == (lib, logs)
    assert config.db_url.endswith(str(lib / "hub.sqlite3"))
    assert config.identity_key_file.read_bytes() == (new / "keys/identity.key").read_bytes()
    assert (lib / "hub.sqlite3").stat().st_uid == pwd.getpwnam(owner).pw_uid


async def test_backup_restore_on_postgres(
    tmp_path: Path,
    pg_cluster: PgCluster,  # noqa: F811
) -> None:
    key, store = tmp_path / "backup.key", tmp_path / "backups"
    assert (await vw_hub("backup-key", str(key)))[0] == 0
    url = pg_cluster.url(pg_cluster.create_database("live"))
    config = prepare_dir(tmp_path / "old", [], port=0)
    with (config.config_dir / "hub.toml").open("a", encoding="utf-8") as out:
        out.write(f'database_url = "{url}"\n')
    async with running_hub(tmp_path / "old", database_url=url) as hub:
        sid, old = await _history(hub)
        newest = await _backup(config.config_dir / "hub.toml", store, key)
    assert b"COPY" not in newest.read_bytes() and VALID_NUMBER.encode() not in newest.read_bytes()

    target = pg_cluster.url(pg_cluster.create_database("restored"))
    new = tmp_path / "new"
    rc, _, err = await vw_hub(
        "restore", "--from", str(newest), "--key-file", str(key), "--dir", str(new)
    )
    assert rc == 1 and "--database-url" in err
    rc, _, err = await vw_hub(
        "restore", "--from", str(newest), "--key-file", str(key), "--dir", str(tmp_path / "new2"),
        "--database-url", target,
    )  # fmt: skip
    assert rc == 0, err
    assert target in (tmp_path / "new2" / "hub.toml").read_text()
    async with running_hub(tmp_path / "new2", database_url=target) as hub:
        await _served(hub, sid, old)


@pytest.fixture(autouse=True)
def _no_hub_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("VW_HUB"):
            monkeypatch.delenv(name)
