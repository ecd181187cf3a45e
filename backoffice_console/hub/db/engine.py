"""Engine, session factory and programmatic Alembic migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.private_files import ensure_private

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic configuration for the hub's migrations, built in code (no ini file needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The newest migration of the code (what `migrate` brings a database to)."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "the migration chain has one head"
    return head


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless asked per connection; PostgreSQL always checks them.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Write-ahead log, still fsynced at every commit (a kiosk forgets a page once the hub
    # acknowledged it): one write and one fsync per commit instead of the rollback
    # journal's copy and several fsyncs, and readers (a backup, a report) never block it.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL, or None (in-memory, or not SQLite)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    name = parsed.database or ""
    return None if name in ("", ":memory:") or name.startswith("file:") else Path(name)


def _make_private(path: Path | None) -> None:
    # Created 0600 before SQLite opens it: SQLite gives its -wal and -shm the database
    # file's own mode, so the three hold personal data readable by the owner only.
    if path is None or not path.parent.is_dir():
        return
    ensure_private(path)
    for extra in ("-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + extra)
        if companion.exists():
            ensure_private(companion)


class Database:
    """The hub's async engine and session factory.

    On SQLite the pool holds one connection, so the hub's writers queue up in
    the pool instead of failing with "database is locked"; never open a second
    session while holding one.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        kwargs: dict[str, Any] = {}
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            kwargs.update(pool_size=1, max_overflow=0, pool_timeout=30)
            _make_private(sqlite_file(url))
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> AsyncSession:
        """A new session (use as `async with db.session() as s, s.begin(): ...`)."""
        return self.sessions()

    async def migrate(self) -> None:
        """Bring the schema to the newest migration."""
        await migrate(self.engine)

    async def revision(self) -> str | None:
        """The schema's Alembic revision (None: never migrated)."""

        def _current(connection: Connection) -> str | None:
            return MigrationContext.configure(connection).get_current_revision()

        async with self.engine.connect() as conn:
            return await conn.run_sync(_current)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Run Alembic `upgrade` on `engine` (shares the connection with env.py)."""

    def _upgrade(connection: Connection) -> None:
        cfg = alembic_config(str(engine.url.render_as_string(hide_password=False)))
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)
