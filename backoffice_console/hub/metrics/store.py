"""The queries behind the metrics: the queue, live calls, a session's timings."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from backoffice_console.hub.calls import WAITING, CallSession, Ticket
from backoffice_console.hub.db import Database


class MetricsStore:
    """Read-only queries for `/metrics` (one short transaction each)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def queue(self) -> tuple[int, dt.datetime | None]:
        """Tickets waiting now, and when the oldest of them joined."""
        async with self._db.session() as s:
            count, oldest = (
                await s.execute(
                    select(func.count(), func.min(Ticket.created_at)).where(Ticket.state == WAITING)
                )
            ).one()
        return int(count), oldest

    async def live_calls(self) -> int:
        """Call sessions not ended."""
        async with self._db.session() as s:
            found = await s.scalar(
                select(func.count()).select_from(CallSession).where(CallSession.ended_at.is_(None))
            )
        return int(found or 0)

    async def timings(self, session_id: str) -> tuple[float | None, float | None]:
        """(seconds the ticket waited before it was taken, seconds from taken to connected)."""
        async with self._db.session() as s:
            row = (
                await s.execute(
                    select(Ticket.created_at, CallSession.started_at, CallSession.connected_at)
                    .join(Ticket, Ticket.id == CallSession.ticket_id)
                    .where(CallSession.id == session_id)
                )
            ).one_or_none()
        if row is None:
            return None, None
        joined, started, connected = row
        wait = (started - joined).total_seconds()
        setup = None if connected is None else (connected - started).total_seconds()
        return max(wait, 0.0), None if setup is None else max(setup, 0.0)
