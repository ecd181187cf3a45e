"""`vw-hub init`'s layouts and listening address, `db upgrade`/`db current`, `--version`."""

from __future__ import annotations

import ipaddress
import os
import pwd
import stat
from pathlib import Path

import pytest

from backoffice_console.hub import __version__
from backoffice_console.hub.__main__ import run
from backoffice_console.hub.core.config import load_hub_config
from backoffice_console.hub.db import Database, head_revision, migrate
from backoffice_console.hub.provision import prepare_dir
from backoffice_console.hub.server import start
from tests.hub.test_cli import vw_hub

PREVIOUS = "0009"
"""The revision before the newest: what an older hub's database is at."""
COMMANDS = [
    "init", "add-user", "enroll-code", "import-catalogue", "serve", "db", "backup-key",
    "backup", "restore",
]  # fmt: skip


async def test_every_command_answers_version(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = await vw_hub("--version")  # the real entry point, once
    assert (rc, out.strip()) == (0, f"vw-hub {__version__}"), err
    umask = os.umask(0o022)
    os.umask(umask)
    for command in COMMANDS:  # each command's own --version, in-process (same parser)
        try:
            with pytest.raises(SystemExit) as done:
                run([command, "--version"])
        finally:
            os.umask(umask)  # `run` tightens the process's umask
        assert done.value.code == 0
        assert capsys.readouterr().out.strip() == f"vw-hub {__version__}", command


def _bound_hosts(runner: object) -> set[str]:
    return {str(ipaddress.ip_address(a[0])) for a in runner.addresses}  # type: ignore[attr-defined]


async def test_init_with_a_hostname_listens_on_every_address(tmp_path: Path) -> None:
    config = prepare_dir(tmp_path / "public", ["hub.centre.example"], port=0)
    assert config.listen_host == "*"
    runner, url = await start(config, 0)
    try:
        bound = _bound_hosts(runner)
        assert bound & {"0.0.0.0", "::"}, bound  # the unspecified address, not loopback
        assert url.startswith("https://127.0.0.1:")
    finally:
        await runner.cleanup()

    local = prepare_dir(tmp_path / "local", [], port=0)
    runner, _ = await start(local, 0)
    try:
        assert _bound_hosts(runner) == {"127.0.0.1"}
    finally:
        await runner.cleanup()

    chosen = prepare_dir(tmp_path / "chosen", ["hub.centre.example"], port=0, listen="127.0.0.1")
    assert chosen.listen_host == "127.0.0.1"


async def test_packaged_layout_and_journal_only(tmp_path: Path) -> None:
    etc, lib, logs = tmp_path / "etc", tmp_path / "lib", tmp_path / "log"
    old = os.umask(0o022)
    try:
        rc, _, err = await vw_hub(
            "init", "--config-dir", str(etc), "--state-dir", str(lib), "--log-dir", str(logs),
            "--hostname", "hub.centre.example", "--port", "0",
        )  # fmt: skip
    finally:
        os.umask(old)
    assert rc == 0, err
    assert {p.name for p in etc.iterdir()} == {"hub.toml"}
    assert stat.S_IMODE((etc / "hub.toml").stat().st_mode) == 0o640
    config = load_hub_config(etc / "hub.toml")
    assert config.state_dir == lib and config.log_dir == logs
    assert config.tls_cert == lib / "tls" / "server.pem"
    assert config.identity_key_file == lib / "keys" / "identity.key"
    assert config.sms_outbox.parent.parent == lib
    assert stat.S_IMODE((lib / "hub.sqlite3").stat().st_mode) == 0o600
    # Keys private; certificates public (copied to every kiosk, readable by its user).
    for name, mode in (("ca.key", 0o600), ("server.key", 0o600), ("ca.pem", 0o644)):
        assert stat.S_IMODE((lib / "tls" / name).stat().st_mode) == mode, name
    assert config.db_url.endswith(str(lib / "hub.sqlite3"))

    rc, _, err = await vw_hub(
        "init", "--config-dir", str(tmp_path / "etc2"), "--state-dir", str(tmp_path / "lib2"),
        "--log-dir", "journal",
    )  # fmt: skip
    assert rc == 0, err
    assert load_hub_config(tmp_path / "etc2" / "hub.toml").log_dir is None

    rc, _, err = await vw_hub("init", "--dir", str(tmp_path / "x"), "--state-dir", str(lib))
    assert rc == 2 and "--dir" in err


async def test_db_current_and_upgrade(tmp_path: Path) -> None:
    config = prepare_dir(tmp_path / "hub", [], port=0)  # no database yet
    path = str(config.config_dir / "hub.toml")
    rc, out, _ = await vw_hub("--config", path, "db", "current")
    assert rc == 3 and out.startswith("empty (never migrated)")
    head = head_revision()
    db = Database(config.db_url)
    try:
        await migrate(db.engine, PREVIOUS)  # a database an older hub left
    finally:
        await db.dispose()
    rc, out, _ = await vw_hub("--config", path, "db", "current")
    assert rc == 3 and out.startswith(f"{PREVIOUS} (behind") and head in out
    rc, out, err = await vw_hub("--config", path, "db", "upgrade")
    assert rc == 0 and out.startswith(f"{head} (up to date)"), err
    rc, out, _ = await vw_hub("--config", path, "db", "current")
    assert rc == 0 and out.startswith(f"{head} (up to date)")


async def test_init_hands_state_and_logs_to_the_service_user(tmp_path: Path) -> None:
    # As root (the package's postinst) the files go to an unprivileged user; as anyone
    # else to that same user (chown to oneself), so the test runs either way.
    owner = "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    entry = pwd.getpwnam(owner)
    etc, lib, logs = tmp_path / "etc", tmp_path / "lib", tmp_path / "log"
    rc, _, err = await vw_hub(
        "init", "--config-dir", str(etc), "--state-dir", str(lib), "--log-dir", str(logs),
        "--owner", owner,
    )  # fmt: skip
    assert rc == 0, err
    for path in (lib, *lib.rglob("*"), logs):
        assert (path.stat().st_uid, path.stat().st_gid) == (entry.pw_uid, entry.pw_gid), path
    for path in (etc, etc / "hub.toml"):  # the service reads its config, may not change it
        found = path.stat()
        assert (found.st_uid, found.st_gid) == (os.geteuid(), entry.pw_gid), path
    assert stat.S_IMODE(etc.stat().st_mode) == 0o750
    rc, _, err = await vw_hub("init", "--dir", str(tmp_path / "x"), "--owner", "no-such-user-vw")
    assert rc == 2 and "no user named 'no-such-user-vw'" in err
    assert not (tmp_path / "x").exists()  # refused before anything was written
