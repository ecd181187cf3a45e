"""The audit log: one writer for every domain, and its query.

Rows are appended, never changed. `detail` holds no personal data: ids, codes
and reasons only. A row written inside a domain's transaction (`audit_entry`
added to that session) commits or rolls back with the change it records.

Every row is chained when its transaction commits (`_chain`, a `before_commit`
listener on all sessions): it takes the next sequence number and the previous
row's hash from the `audit_head` row, which it updates first. That update holds
the head until the commit, so writers on every hub instance, SQLite or
PostgreSQL, append one at a time and the chain never forks; a rolled-back
transaction gives its numbers back with it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from backoffice_console.hub.core.audit_query import (
    CSV_MAX,
    AuditFilter,
    newest_first,
    row_json,
    rows_csv,
)
from backoffice_console.hub.core.chain import row_digest
from backoffice_console.hub.core.models import AuditEntry, AuditHead
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db import Database, utcnow

_PENDING = "audit_unchained"


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _context: Any, _instances: Any) -> None:
    """Remember the audit rows this transaction adds; they are chained at commit."""
    pending = session.info.setdefault(_PENDING, [])
    pending.extend(obj for obj in session.new if isinstance(obj, AuditEntry))


@event.listens_for(Session, "before_commit")
def _chain(session: Session) -> None:
    """Give this transaction's audit rows their places in the chain, just before it commits.

    Taking the head last, right before the commit, means a writer never waits for
    another lock while it holds the head: no deadlock with the domains' row locks.
    """
    pending: list[AuditEntry] = session.info.pop(_PENDING, [])
    pending += [obj for obj in session.new if isinstance(obj, AuditEntry) and obj not in pending]
    if not pending:
        return
    conn = session.connection()
    # The UPDATE comes first: it takes the head's lock before anything is read.
    moved = conn.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(last_seq=AuditHead.last_seq + len(pending))
    )
    if moved.rowcount != 1:
        raise RuntimeError("the audit chain has no head row: run the migrations")
    last_seq, prev = conn.execute(
        select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.id == 1)
    ).one()
    seq = last_seq - len(pending)
    for entry in pending:
        seq += 1
        entry.at = entry.at or utcnow()
        entry.detail = dict(entry.detail or {})
        entry.seq, entry.prev_hash = seq, prev
        entry.row_hash = row_digest(
            prev, seq, at=entry.at, actor_kind=entry.actor_kind, actor_id=entry.actor_id,
            action=entry.action, session_id=entry.session_id, detail=entry.detail,
        )  # fmt: skip
        prev = entry.row_hash
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    """Rolled-back audit rows are gone: nothing to chain."""
    session.info.pop(_PENDING, None)


def audit_entry(
    actor: Principal | None, action: str, session_id: str | None = None, **detail: Any
) -> AuditEntry:
    """An audit row; `actor` None means the hub itself. `detail` must hold no personal data."""
    return AuditEntry(
        actor_kind=actor.actor_kind if actor is not None else "hub",
        actor_id=actor.subject_id if actor is not None else None,
        action=action,
        session_id=session_id,
        detail=detail,
    )


CaseSessions = Callable[[str], Awaitable[str | None]]
"""A case number's session id (the cases domain provides it, for the audit's case filter)."""


class AuditLog:
    """Writes audit rows in their own transaction and reads them back."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.case_session: CaseSessions | None = None

    async def write(
        self, actor: Principal | None, action: str, session_id: str | None = None, **detail: Any
    ) -> None:
        """Append one audit row in its own transaction."""
        async with self._db.session() as s, s.begin():
            s.add(audit_entry(actor, action, session_id, **detail))

    async def entries(self, session_id: str | None, limit: int = 1000) -> list[dict[str, Any]]:
        """Audit rows (of one session when given), oldest first (for tests and tools)."""
        query = select(AuditEntry).order_by(AuditEntry.seq, AuditEntry.id).limit(limit)
        if session_id is not None:
            query = query.where(AuditEntry.session_id == session_id)
        async with self._db.session() as s:
            rows = list(await s.scalars(query))
        return [row_json(e) for e in rows]

    async def _case(self, flt: AuditFilter) -> str | None:
        if flt.case_no is None or self.case_session is None:
            return None
        return await self.case_session(flt.case_no)

    async def page(
        self, reader: Principal, flt: AuditFilter, before: int | None, limit: int
    ) -> dict[str, Any]:
        """One page, newest first, and the cursor of the next; the read is itself audited."""
        query = newest_first(flt, await self._case(flt), before, limit + 1)
        async with self._db.session() as s, s.begin():
            rows = list(await s.scalars(query))
            more = len(rows) > limit
            rows = rows[:limit]
            s.add(audit_entry(reader, "audit.read", None, rows=len(rows), filter=flt.detail()))
        return {
            "entries": [row_json(e) for e in rows],
            "next_cursor": rows[-1].seq if more and rows else None,
        }

    async def export(self, reader: Principal, flt: AuditFilter) -> bytes:
        """Every matching row (newest first, at most `CSV_MAX`) as CSV; audited."""
        query = newest_first(flt, await self._case(flt), None, CSV_MAX)
        async with self._db.session() as s, s.begin():
            rows = list(await s.scalars(query))
            s.add(audit_entry(reader, "audit.export", None, rows=len(rows), filter=flt.detail()))
        return rows_csv(rows)
