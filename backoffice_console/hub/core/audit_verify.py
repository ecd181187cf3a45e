"""Proving the audit chain: every row in order, each hash recomputed, the head at the end.

`verify_chain` reads the log in sequence order, a batch at a time, and stops at the
first row that breaks the chain: a changed field (its hash no longer matches), a
deleted or inserted row (a gap in the sequence, or a `prev_hash` that is not the
previous row's hash), a row outside the chain (no sequence number), or a cut-off
tail (the head names a later row than the last one found).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from backoffice_console.hub.core.chain import GENESIS, row_digest
from backoffice_console.hub.core.models import AuditEntry, AuditHead
from backoffice_console.hub.db import Database


@dataclass(frozen=True)
class ChainReport:
    """What `verify_chain` found: how many rows it proved, and the first broken one."""

    rows: int
    broken_id: int | None = None
    broken_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the whole chain holds."""
        return self.problem is None

    def text(self) -> str:
        """One line for a person (the `vw-hub audit verify` output)."""
        if self.ok:
            return f"audit chain intact: {self.rows} rows"
        where = f"row id {self.broken_id}" if self.broken_id is not None else "the chain's end"
        seq = f" (seq {self.broken_seq})" if self.broken_seq is not None else ""
        return f"audit chain BROKEN at {where}{seq}: {self.problem} ({self.rows} rows proved)"


async def verify_chain(db: Database, batch: int = 2000) -> ChainReport:
    """Check the whole audit chain of `db` (see the module docstring)."""
    async with db.session() as s:
        outside = await s.scalar(select(func.min(AuditEntry.id)).where(AuditEntry.seq.is_(None)))
        head = await s.get(AuditHead, 1)
    if outside is not None:
        return ChainReport(0, outside, None, "the row has no place in the chain")
    if head is None:
        return ChainReport(0, None, None, "the chain has no head row")
    proved, prev, last_seq = 0, GENESIS, 0
    while True:
        async with db.session() as s:
            query = (
                select(AuditEntry)
                .where(AuditEntry.seq > last_seq)
                .order_by(AuditEntry.seq)
                .limit(batch)
            )
            rows = list(await s.scalars(query))
        if not rows:
            break
        for row in rows:
            expected = last_seq + 1
            if row.seq != expected:
                problem = f"row seq {expected} is missing (deleted?); found seq {row.seq} next"
                return ChainReport(proved, row.id, row.seq, problem)
            if row.prev_hash != prev:
                return ChainReport(proved, row.id, row.seq, "prev_hash is not the previous row's")
            digest = row_digest(
                prev, expected, at=row.at, actor_kind=row.actor_kind, actor_id=row.actor_id,
                action=row.action, session_id=row.session_id, detail=row.detail or {},
            )  # fmt: skip
            if digest != row.row_hash:
                return ChainReport(
                    proved, row.id, row.seq, "the row was changed after it was written"
                )
            proved, prev, last_seq = proved + 1, digest, expected
    if head.last_seq != last_seq or head.last_hash != prev:
        problem = f"the head names seq {head.last_seq}, the last row found is seq {last_seq}"
        return ChainReport(proved, None, last_seq + 1, problem)
    return ChainReport(proved)
