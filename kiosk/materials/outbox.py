"""The kiosk's durable outbox of captured pages: nothing acknowledged is ever lost.

A page is made durable in this order, and only then shown as captured:

1. the JPEG is written to `<dir>/pages/<sha256>.jpg.tmp`, fsynced, renamed to
   `<sha256>.jpg`, and the folder is fsynced (the rename itself is durable);
2. its row is inserted into SQLite (WAL mode, `synchronous=FULL`: the commit is
   on disk when `add()` returns).

A crash between 1 and 2 leaves a file without a row: it was never acknowledged,
and `open()` removes it. A row always has its file. States: `pending` (to
upload), `sent` (the hub stored it; the file is deleted, the hub has the page),
`refused` (the hub will never take it, e.g. the session is not this kiosk's;
the file is kept for a technician). All SQLite and file work runs on the
outbox's own single-thread executor.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from shared.durable import make_dirs, write_atomically

T = TypeVar("T")

PENDING, SENT, REFUSED = "pending", "sent", "refused"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL,
    session_id TEXT NOT NULL,
    command_id TEXT,
    size_bytes INTEGER NOT NULL,
    created_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    material_id INTEGER,
    page_no INTEGER,
    sent_at REAL,
    UNIQUE (session_id, sha256)
);
CREATE INDEX IF NOT EXISTS ix_pages_state ON pages (state, id);
"""


class OutboxError(Exception):
    """The outbox could not make a page durable (disk full, folder not writable)."""


@dataclass(frozen=True)
class OutboxPage:
    """One row of the outbox."""

    id: int
    sha256: str
    session_id: str
    command_id: str | None
    size_bytes: int
    created_at: float
    state: str
    attempts: int
    last_error: str | None
    material_id: int | None
    page_no: int | None


class Outbox:
    """The durable queue of pages to deliver (see module docstring)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.pages_dir = directory / "pages"
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vw-outbox")
        self._db: sqlite3.Connection | None = None

    # --- life cycle --------------------------------------------------------------

    async def open(self) -> None:
        """Open (or create) the outbox and clean up after a crash."""
        await self._call(self._open_sync)

    async def close(self) -> None:
        """Close the database and stop the worker."""
        with contextlib.suppress(Exception):
            await self._call(self._close_sync)
        self._executor.shutdown(wait=True)

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _open_sync(self) -> None:
        make_dirs(self.pages_dir)
        db = sqlite3.connect(self.directory / "outbox.sqlite3", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(_SCHEMA)
        self._db = db
        self._recover_sync()

    def _close_sync(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise OutboxError("the outbox is not open")
        return self._db

    def _recover_sync(self) -> None:
        """Remove half-written files and files that no row acknowledges."""
        known = {
            row[0] for row in self._conn().execute("SELECT sha256 FROM pages WHERE state != 'sent'")
        }
        for path in self.pages_dir.iterdir():
            sha = path.name.split(".", 1)[0]
            if path.name.endswith(".tmp") or sha not in known:
                path.unlink(missing_ok=True)

    # --- pages -------------------------------------------------------------------

    def path_of(self, sha256: str) -> Path:
        """Where a page's JPEG is kept until it is sent."""
        return self.pages_dir / f"{sha256}.jpg"

    async def add(self, session_id: str, command_id: str | None, jpeg: bytes) -> OutboxPage:
        """Make a page durable (file, then row); when this returns, it survives any crash."""
        try:
            return await self._call(self._add_sync, session_id, command_id, jpeg)
        except (OSError, sqlite3.Error) as exc:
            raise OutboxError(f"could not store the page: {exc}") from exc

    def _add_sync(self, session_id: str, command_id: str | None, jpeg: bytes) -> OutboxPage:
        sha = hashlib.sha256(jpeg).hexdigest()
        write_atomically(self.path_of(sha), jpeg, tmp_suffix=".tmp")
        db = self._conn()
        db.execute(
            "INSERT INTO pages (sha256, session_id, command_id, size_bytes, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (session_id, sha256) DO NOTHING",
            (sha, session_id, command_id, len(jpeg), time.time()),
        )
        row = db.execute(
            "SELECT * FROM pages WHERE session_id = ? AND sha256 = ?", (session_id, sha)
        ).fetchone()
        return _page(row)

    async def pending(self) -> list[OutboxPage]:
        """Pages still to upload, oldest first."""
        return await self._call(self._select_sync, "WHERE state = 'pending' ORDER BY id", ())

    async def pages(self, session_id: str | None = None) -> list[OutboxPage]:
        """Every page (of one session), oldest first."""
        if session_id is None:
            return await self._call(self._select_sync, "ORDER BY id", ())
        return await self._call(
            self._select_sync, "WHERE session_id = ? ORDER BY id", (session_id,)
        )

    def _select_sync(self, where: str, args: tuple[Any, ...]) -> list[OutboxPage]:
        return [_page(r) for r in self._conn().execute(f"SELECT * FROM pages {where}", args)]

    async def read(self, page: OutboxPage) -> bytes:
        """The page's JPEG bytes."""
        return await self._call(self.path_of(page.sha256).read_bytes)

    async def mark_sent(self, page_id: int, material_id: int, page_no: int) -> None:
        """The hub stored the page: record it, then drop the local copy."""
        await self._call(self._mark_sent_sync, page_id, material_id, page_no)

    def _mark_sent_sync(self, page_id: int, material_id: int, page_no: int) -> None:
        db = self._conn()
        row = db.execute("SELECT sha256 FROM pages WHERE id = ?", (page_id,)).fetchone()
        db.execute(
            "UPDATE pages SET state = 'sent', material_id = ?, page_no = ?, sent_at = ?, "
            "last_error = NULL WHERE id = ?",
            (material_id, page_no, time.time(), page_id),
        )
        if row is not None:
            # The same image may be pending for another session: keep the file then.
            still = db.execute(
                "SELECT 1 FROM pages WHERE sha256 = ? AND state != 'sent'", (row[0],)
            ).fetchone()
            if still is None:
                self.path_of(row[0]).unlink(missing_ok=True)

    async def mark_failed(self, page_id: int, error: str, refused: bool = False) -> None:
        """An attempt failed (`refused`: for good; the page stays on disk)."""
        await self._call(self._mark_failed_sync, page_id, error[:200], refused)

    def _mark_failed_sync(self, page_id: int, error: str, refused: bool) -> None:
        self._conn().execute(
            "UPDATE pages SET attempts = attempts + 1, last_error = ?, state = ? WHERE id = ?",
            (error, REFUSED if refused else PENDING, page_id),
        )


def _page(row: tuple[Any, ...]) -> OutboxPage:
    return OutboxPage(
        id=row[0],
        sha256=row[1],
        session_id=row[2],
        command_id=row[3],
        size_bytes=row[4],
        created_at=row[5],
        state=row[6],
        attempts=row[7],
        last_error=row[8],
        material_id=row[9],
        page_no=row[10],
    )
