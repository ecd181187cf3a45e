"""A private PostgreSQL cluster for the tests: initdb into a temporary folder, loopback only.

The cluster listens on 127.0.0.1 on a free port (and a unix socket inside its own folder),
trusts local connections, runs with fsync off, and is stopped (`pg_ctl stop -m fast`) and
deleted at the end of the session. PostgreSQL refuses to run as root, so under root (CI)
the server runs as the `postgres` user the Debian package creates, or `nobody`.
Tests fail, saying what to install, when the server binaries are not installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from backoffice_console.hub.core.config import HubConfig
from backoffice_console.hub.provision import migrate

SUPERUSER = "vw"
START_TIMEOUT_S = 30
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Speed over durability: the cluster lives for one test session.
_SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{socket_dir}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
"""


def find_pg_bin() -> Path | None:
    """The folder with initdb and pg_ctl: $PG_BIN, Debian's newest version, or PATH."""
    candidates: list[Path] = []
    if os.environ.get("PG_BIN"):
        candidates.append(Path(os.environ["PG_BIN"]))

    def version(p: Path) -> int:
        return int(p.parent.name) if p.parent.name.isdigit() else 0

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    which = shutil.which("pg_ctl")
    if which:
        candidates.append(Path(which).parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _server_user() -> str | None:
    """The user to run the server as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and neither a postgres nor a nobody user exists")


@dataclass
class PgCluster:
    """A running private cluster; `url(db)` gives the hub's `postgresql+asyncpg://` URL."""

    bin_dir: Path
    root: Path
    port: int
    user: str | None
    _counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def data_dir(self) -> Path:
        """The cluster's data folder (also holds its unix socket and log)."""
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        """The server's log."""
        return self.root / "server.log"

    def url(self, database: str) -> str:
        """The async SQLAlchemy URL of `database` on this cluster (TCP on loopback)."""
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def run(self, *args: str, timeout: float = START_TIMEOUT_S) -> str:
        """Run a server binary (as the server's user); returns stdout, raises with its output."""
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(
            command,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "LC_ALL": "C.UTF-8", "PGTZ": "UTC"},
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{args[0]} failed ({done.returncode}): {done.stderr or done.stdout}"
            )
        return done.stdout

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one SQL statement through psql over the unix socket; returns its output."""
        return self.run(
            "psql",
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.data_dir),
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "-d",
            database,
            "-c",
            statement,
        )

    def create_database(self, prefix: str = "db", template: str | None = None) -> str:
        """A new, empty (or `template`-copied) database; returns its name."""
        name = f"{prefix}_{next(self._counter)}"
        if not _NAME.match(name) or (template is not None and not _NAME.match(template)):
            raise ValueError(f"bad database name {name!r}")
        clause = f" TEMPLATE {template}" if template else ""
        self.sql(f"CREATE DATABASE {name}{clause} ENCODING 'UTF8'")
        return name

    def start(self) -> None:
        """initdb and start on a free port (retried when another process grabbed the port)."""
        self.run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        base_conf = (self.data_dir / "postgresql.conf").read_text(encoding="utf-8")
        last: Exception | None = None
        for _ in range(3):
            self.port = _free_port()
            settings = _SETTINGS.format(port=self.port, socket_dir=self.data_dir)
            (self.data_dir / "postgresql.conf").write_text(base_conf + settings, encoding="utf-8")
            try:
                self.run(
                    "pg_ctl",
                    "start",
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_file),
                    "-w",
                    "-t",
                    str(START_TIMEOUT_S),
                    timeout=START_TIMEOUT_S + 10,
                )
                return
            except RuntimeError as exc:
                last = exc
        log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {last}\n{log[-2000:]}")

    def stop(self) -> None:
        """Fast shutdown (if running) and delete the folder."""
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self.run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A private PostgreSQL cluster for the session (fails when PostgreSQL is not installed)."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql"
        )
    user = _server_user()
    # Not under pytest's tmp dir: root-only (mode 700), and the server runs as another user.
    root = Path(tempfile.mkdtemp(prefix="vw-pg-"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    cluster = PgCluster(bin_dir=bin_dir, root=root, port=0, user=user)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_template(pg_cluster: PgCluster) -> str:
    """A database migrated to head once; each hub test gets a copy (CREATE DATABASE TEMPLATE)."""
    name = pg_cluster.create_database("template")
    config = HubConfig(database_url=pg_cluster.url(name))
    asyncio.run(asyncio.wait_for(migrate(config), 60))
    return name


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    """The URL of a new, empty database on the session's cluster (one per test)."""
    return pg_cluster.url(pg_cluster.create_database("test"))
