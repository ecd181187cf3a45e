"""The audit log: one writer for every domain, and its query.

Rows are appended, never changed. `detail` holds no personal data: ids, codes
and reasons only. A row written inside a domain's transaction (`audit_entry`
added to that session) commits or rolls back with the change it records.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from backoffice_console.hub.core.models import AuditEntry
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db import Database


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


class AuditLog:
    """Writes audit rows in their own transaction and reads them back."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def write(
        self, actor: Principal | None, action: str, session_id: str | None = None, **detail: Any
    ) -> None:
        """Append one audit row in its own transaction."""
        async with self._db.session() as s, s.begin():
            s.add(audit_entry(actor, action, session_id, **detail))

    async def entries(self, session_id: str | None, limit: int = 1000) -> list[dict[str, Any]]:
        """Audit rows (of one session when given), oldest first."""
        query = select(AuditEntry).order_by(AuditEntry.at, AuditEntry.id).limit(limit)
        if session_id is not None:
            query = query.where(AuditEntry.session_id == session_id)
        async with self._db.session() as s:
            rows = list(await s.scalars(query))
        return [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "actor_kind": e.actor_kind,
                "actor_id": e.actor_id,
                "action": e.action,
                "session_id": e.session_id,
                "detail": e.detail,
            }
            for e in rows
        ]
