"""`vw-hub backup` and `vw-hub restore`: the whole hub in one encrypted file, and back.

A backup holds a consistent copy of the database taken while the hub runs (SQLite's
online backup API, which copies a snapshot page by page alongside the live writer;
`pg_dump`'s single-transaction snapshot for PostgreSQL), the personal-data key, the TLS
material (the CA included: restored kiosks keep trusting the hub), the SMS outbox and
hub.toml, as a tar sealed by `sealed_stream` with a key file kept elsewhere. Pages,
documents and identities are in the database, already sealed with the identity key.

`restore` puts it into a new, empty folder laid out like `vw-hub init --dir` makes one;
a hub started there serves the old cases, pages and identities.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import make_url

from backoffice_console.hub.core.config import HubConfig, Layout
from backoffice_console.hub.db.engine import sqlite_file
from backoffice_console.hub.provision import CONFIG_NAME
from backoffice_console.hub.sealed_stream import SealError, SealingWriter, read_key_file, unseal
from shared.durable import fsync_dir
from shared.private_files import GROUP_READ, PRIVATE, ensure_private, open_private

PREFIX = "vw-hub-backup-"
SUFFIX = ".vwbak"
_STATE_KEYS = ("tls_cert", "tls_key", "identity_key_file", "sms_outbox")
"""hub.toml keys naming state files; restore points them into the new folder."""


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (no personal data)."""


@contextlib.contextmanager
def _workdir(near: Path) -> Iterator[Path]:
    near.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".vw-hub-work-", dir=near))  # mode 700
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _pg_env_and_url(url: str) -> tuple[dict[str, str], str]:
    """libpq's URL (without the password, which goes in PGPASSWORD, off the command line)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return env, plain.render_as_string(hide_password=False)


def _copy_database(config: HubConfig, work: Path) -> str:
    """The database's consistent copy in `work`; returns its member name."""
    path = sqlite_file(config.db_url)
    if path is not None:
        target = work / "database.sqlite3"
        ensure_private(target)
        source = sqlite3.connect(path)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # online: a consistent snapshot while the hub writes
        finally:
            copy.close()
            source.close()
        return target.name
    if make_url(config.db_url).get_backend_name() != "postgresql":
        raise BackupError(f"cannot back up a {make_url(config.db_url).get_backend_name()} database")
    target = work / "database.pgdump"
    env, url = _pg_env_and_url(config.db_url)
    done = subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", url],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
    os.chmod(target, PRIVATE)
    return target.name


def _state_files(config: HubConfig) -> dict[str, Path]:
    """Archive member name -> file: the TLS folder, the identity key, the outbox, hub.toml."""
    files: dict[str, Path] = {f"config/{CONFIG_NAME}": config.config_dir / CONFIG_NAME}
    tls_dir = config.tls_cert.parent
    if tls_dir.is_dir():
        for item in sorted(tls_dir.iterdir()):
            if item.is_file():
                files[f"state/tls/{item.name}"] = item
    files["state/tls/" + config.tls_key.name] = config.tls_key
    files["state/keys/identity.key"] = config.identity_key_file
    files["state/var/sms-outbox.jsonl"] = config.sms_outbox
    return {name: path for name, path in files.items() if path.is_file()}


def backup(config: HubConfig, to: Path, key_file: Path, keep: int | None) -> Path:
    """Write one sealed backup into `to` (keeping the newest `keep`); returns its path.

    Only ciphertext reaches `to` (which may be a share): the database copy is made in a
    private folder beside the state, and the archive is sealed as it is written.
    """
    key = read_key_file(key_file)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    to.mkdir(parents=True, exist_ok=True)
    final = to / f"{PREFIX}{stamp}{SUFFIX}"
    partial = to / f".{final.name}.part"
    with _workdir(config.state_dir) as work:
        database = _copy_database(config, work)
        files = _state_files(config)
        manifest = {"format": 1, "created": stamp, "database": database, "files": sorted(files)}
        fd = open_private(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
        try:
            with os.fdopen(fd, "wb") as out:
                with (
                    SealingWriter(key, out) as sealed,
                    tarfile.open(fileobj=sealed, mode="w|") as tar,
                ):
                    tar.add(work / database, arcname=database)
                    for name, path in files.items():
                        tar.add(path, arcname=name)
                    info = tarfile.TarInfo("manifest.json")
                    body = json.dumps(manifest, indent=1).encode()
                    info.size = len(body)
                    tar.addfile(info, io.BytesIO(body))
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, final)  # a backup is either whole or absent
            fsync_dir(to)  # and its name is on disk before older copies are pruned
        finally:
            partial.unlink(missing_ok=True)
    if keep is not None:
        prune(to, keep)
    return final


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups in `folder`; returns the deleted files."""
    found = sorted(folder.glob(f"{PREFIX}*{SUFFIX}"))
    old = found[: max(0, len(found) - keep)]
    for path in old:
        path.unlink()
    return old


def _restored_config(original: str, layout: Layout, database_url: str | None) -> str:
    """hub.toml for the restored hub: its own state and log folders, the new database."""
    lines = [
        line
        for line in original.splitlines()
        if line.split("=", 1)[0].strip()
        not in {"state_dir", "log_dir", "database_url", "config_dir", *_STATE_KEYS}
    ]
    head = [
        "# Restored from a backup.",
        'tls_cert = "tls/server.pem"',
        'tls_key = "tls/server.key"',
        'identity_key_file = "keys/identity.key"',
        'sms_outbox = "var/sms-outbox.jsonl"',
    ]
    state = layout.state_for_config()
    if state is not None:
        head.append(f"state_dir = {json.dumps(str(state))}")
    logs = layout.log_for_config()
    head.append("log_dir = " + ('""' if logs == "journal" else json.dumps(str(logs or "log"))))
    if database_url is not None:
        head.append(f"database_url = {json.dumps(database_url)}")
    return "\n".join(head + lines) + "\n"


def _refuse_existing(layout: Layout) -> None:
    """A restore never writes over a hub: hub.toml absent, the state folder empty."""
    config_path = layout.config_dir / CONFIG_NAME
    if config_path.exists():
        raise BackupError(f"{config_path} exists; restore only into a new hub")
    if layout.state_dir.exists() and any(layout.state_dir.iterdir()):
        raise BackupError(f"{layout.state_dir} is not empty; restore only into a new folder")


def restore(source: Path, key_file: Path, layout: Path | Layout, database_url: str | None) -> Path:
    """Bring a backup back as a new hub (one folder, or the packaged folders); its hub.toml."""
    layout = layout if isinstance(layout, Layout) else Layout.single(layout)
    key = read_key_file(key_file)
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    _refuse_existing(layout)
    layout.state_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
    with _workdir(layout.state_dir) as work:
        archive = work / "backup.tar"
        fd = open_private(archive, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
        with os.fdopen(fd, "wb") as plain, source.open("rb") as sealed:
            unseal(key, sealed, plain)
        unpacked = work / "unpacked"
        with tarfile.open(archive) as tar:
            tar.extractall(unpacked, filter="data")  # refuses absolute paths and ".."
        archive.unlink()
        manifest = json.loads((unpacked / "manifest.json").read_text(encoding="utf-8"))
        database = str(manifest["database"])
        # Every refusal before the first file is written: a refused restore leaves nothing.
        if database.endswith(".pgdump") and database_url is None:
            raise BackupError("this backup is of PostgreSQL: give --database-url of an empty one")
        if database.endswith(".sqlite3") and database_url is not None:
            raise BackupError("a SQLite backup restores to SQLite; leave out --database-url")
        if database.endswith(".pgdump"):
            assert database_url is not None
            _pg_restore(unpacked / database, database_url)
        else:
            target = HubConfig.sqlite_path(layout.state_dir)
            ensure_private(target)
            shutil.copyfile(unpacked / database, target)
        for item in (unpacked / "state").rglob("*"):
            if item.is_file():
                target = layout.state_dir / item.relative_to(unpacked / "state")
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                shutil.copyfile(item, target)
                os.chmod(target, PRIVATE)
        if layout.log_dir is not None:
            layout.log_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
        original = (unpacked / "config" / CONFIG_NAME).read_text(encoding="utf-8")
        layout.config_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
        config_path = layout.config_dir / CONFIG_NAME
        fd = open_private(config_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, GROUP_READ)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(_restored_config(original, layout, database_url))
    return config_path


def _pg_restore(dump: Path, database_url: str) -> None:
    env, url = _pg_env_and_url(database_url)
    args = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={url}"]
    done = subprocess.run(
        [*args, str(dump)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()[:500]}")


__all__ = ["BackupError", "SealError", "backup", "prune", "restore"]
