"""Routing's queries about live calls: who is busy, and a call's line."""

from __future__ import annotations

from sqlalchemy import select

from backoffice_console.hub.calls import CallSession, Ticket
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.db import Database
from shared.protocol import ErrorCode


async def busy_officers(db: Database) -> set[int]:
    """Officers in a live call."""
    async with db.session() as s:
        rows = await s.scalars(select(CallSession.officer_id).where(CallSession.ended_at.is_(None)))
        return set(rows)


async def call_line(db: Database, session_id: str) -> str | None:
    """The line of a live call: of its latest transfer ticket, else of the ticket that opened it."""
    async with db.session() as s:
        cs = await s.get(CallSession, session_id)
        if cs is None:
            raise HubError(ErrorCode.NOT_FOUND, "no such session")
        latest = await s.scalar(
            select(Ticket.line)
            .where(Ticket.transfer_session_id == session_id)
            .order_by(Ticket.id.desc())
            .limit(1)
        )
        if latest is not None:
            return str(latest)
        return await s.scalar(select(Ticket.line).where(Ticket.id == cs.ticket_id))
