"""The kiosk's durable print queue: SQLite (WAL) with one row per document key.

A document is submitted once under its idempotency key (for example the PDF's
sha256 or the hub's document id); submitting the same key again returns the
existing entry and prints nothing. The row moves queued -> submitting -> submitted
-> printed (or cancelled / failed). Each step is committed before the next action,
and the job title carries the key, so after a crash between "sent to CUPS" and
"recorded" the queue finds the job by its title instead of printing it again.
A printer that is stopped, offline or missing leaves entries queued; they are
retried on every pass until the printer is fixed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from kiosk.devices.printer.contract import (
    InvalidDocument,
    JobId,
    JobNotFound,
    JobPhase,
    Printer,
    PrinterError,
    PrintOptions,
    check_pdf,
)
from shared.durable import make_dirs

log = logging.getLogger(__name__)


class EntryState(StrEnum):
    """Where a document is in the queue."""

    QUEUED = "queued"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    PRINTED = "printed"
    CANCELLED = "cancelled"
    FAILED = "failed"


FINAL = (EntryState.PRINTED, EntryState.CANCELLED, EntryState.FAILED)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS print_jobs (
    key TEXT PRIMARY KEY,
    pdf BLOB NOT NULL,
    options TEXT NOT NULL,
    state TEXT NOT NULL,
    printer TEXT,
    job_number INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    updated REAL NOT NULL
)
"""


@dataclass(frozen=True)
class QueueEntry:
    """One document in the queue."""

    key: str
    state: EntryState
    options: PrintOptions
    job: JobId | None
    attempts: int
    last_error: str


def job_title(key: str) -> str:
    """The CUPS job title for a key: how a job is found again after a crash."""
    return f"rvw-{key}"


class PrintQueue:
    """Durable queue in front of one `Printer`; `process()` advances every open entry."""

    def __init__(self, db_path: Path, printer: Printer) -> None:
        self.printer = printer
        make_dirs(db_path.parent)
        self._db = sqlite3.connect(db_path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def submit(self, key: str, pdf: bytes, options: PrintOptions) -> QueueEntry:
        """Queue `pdf` under `key`; an existing key returns its entry unchanged (no reprint)."""
        if not key or len(key) > 100:
            raise ValueError("idempotency key must be 1 to 100 characters")
        check_pdf(pdf)  # refuse bad input before it is stored
        now = time.time()
        self._db.execute(
            "INSERT OR IGNORE INTO print_jobs (key, pdf, options, state, created, updated) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (key, pdf, options.model_dump_json(), EntryState.QUEUED, now, now),
        )
        entry = self.get(key)
        assert entry is not None
        return entry

    def get(self, key: str) -> QueueEntry | None:
        """The entry for `key`, or None."""
        row = self._db.execute(
            "SELECT key, state, options, printer, job_number, attempts, last_error "
            "FROM print_jobs WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        job = JobId(row[3], row[4]) if row[4] is not None else None
        return QueueEntry(
            row[0],
            EntryState(row[1]),
            PrintOptions.model_validate_json(row[2]),
            job,
            row[5],
            row[6],
        )

    def open_keys(self) -> list[str]:
        """Keys not yet printed, cancelled or failed, oldest first."""
        rows = self._db.execute(
            "SELECT key FROM print_jobs WHERE state NOT IN (?, ?, ?) ORDER BY created",
            tuple(FINAL),
        )
        return [r[0] for r in rows]

    def retry(self, key: str) -> QueueEntry:
        """Queue a cancelled or failed document again (a deliberate reprint)."""
        entry = self.get(key)
        if entry is None:
            raise KeyError(f"no print job {key!r}")
        if entry.state not in (EntryState.CANCELLED, EntryState.FAILED):
            raise ValueError(f"job {key!r} is {entry.state}: only cancelled or failed retry")
        self._set(key, EntryState.QUEUED, job=None)
        return self.get(key)  # type: ignore[return-value]

    def _set(
        self, key: str, state: EntryState, *, job: JobId | bool | None = False, error: str = ""
    ) -> None:
        if job is False:
            self._db.execute(
                "UPDATE print_jobs SET state=?, last_error=?, updated=? WHERE key=?",
                (state, error, time.time(), key),
            )
        else:
            number = job.number if isinstance(job, JobId) else None
            printer = job.printer if isinstance(job, JobId) else None
            self._db.execute(
                "UPDATE print_jobs SET state=?, printer=?, job_number=?, last_error=?, "
                "updated=? WHERE key=?",
                (state, printer, number, error, time.time(), key),
            )

    async def process(self) -> None:
        """One pass over every open entry; never raises for printer trouble."""
        for key in self.open_keys():
            entry = self.get(key)
            if entry is None:
                continue
            try:
                await self._step(entry)
            except PrinterError as exc:
                log.info("print job %s waits: %s", key, exc)
                self._db.execute(
                    "UPDATE print_jobs SET last_error=?, updated=? WHERE key=?",
                    (str(exc), time.time(), key),
                )

    async def _step(self, entry: QueueEntry) -> None:
        title = job_title(entry.key)
        if entry.state is EntryState.SUBMITTING:
            # We crashed (or failed) mid-submit: adopt the job if CUPS has it.
            found = await self.printer.find_job(title)
            if found is None:
                self._set(entry.key, EntryState.QUEUED, job=None)
                return
            self._set(entry.key, EntryState.SUBMITTED, job=found)
            entry = self.get(entry.key)  # type: ignore[assignment]
        if entry.state is EntryState.QUEUED:
            status = await self.printer.status()
            if status.needs_attention:
                self._set(entry.key, EntryState.QUEUED, error=f"printer {status.state.value}")
                return
            await self._send(entry, title)
            return
        if entry.state is EntryState.SUBMITTED and entry.job is not None:
            await self._follow(entry)

    async def _send(self, entry: QueueEntry, title: str) -> None:
        pdf = self._db.execute("SELECT pdf FROM print_jobs WHERE key=?", (entry.key,)).fetchone()[0]
        self._db.execute(
            "UPDATE print_jobs SET state=?, attempts=attempts+1, updated=? WHERE key=?",
            (EntryState.SUBMITTING, time.time(), entry.key),
        )
        options = entry.options.model_copy(update={"title": title})
        try:
            job = await self.printer.print_pdf(pdf, options)
        except InvalidDocument as exc:
            self._set(entry.key, EntryState.FAILED, error=str(exc))
            return
        except PrinterError:
            # Nothing reached the queue: an error from CUPS means the job was not created.
            self._set(entry.key, EntryState.QUEUED, job=None)
            raise
        self._set(entry.key, EntryState.SUBMITTED, job=job)

    async def _follow(self, entry: QueueEntry) -> None:
        assert entry.job is not None
        try:
            state = await self.printer.job_state(entry.job)
        except JobNotFound:
            self._set(entry.key, EntryState.FAILED, error="the print system lost the job")
            return
        if state.phase is JobPhase.COMPLETED:
            self._set(entry.key, EntryState.PRINTED, job=entry.job)
        elif state.phase is JobPhase.CANCELLED:
            self._set(entry.key, EntryState.CANCELLED, job=entry.job, error="cancelled")
        elif state.phase is JobPhase.ABORTED:
            reasons = ", ".join(state.reasons) or "aborted"
            self._set(entry.key, EntryState.FAILED, job=entry.job, error=reasons)

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        """Process until `stop` is set, every `interval` seconds."""
        while not stop.is_set():
            await self.process()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    async def wait(self, key: str, timeout: float, interval: float = 0.2) -> QueueEntry:
        """Process until the entry for `key` is final; TimeoutError after `timeout` seconds."""
        async with asyncio.timeout(timeout):
            while True:
                await self.process()
                entry = self.get(key)
                if entry is None:
                    raise KeyError(f"no print job {key!r}")
                if entry.state in FINAL:
                    return entry
                await asyncio.sleep(interval)
