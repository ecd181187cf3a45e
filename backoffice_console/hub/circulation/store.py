"""Circulations and their hand-overs in the database: queries only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.accounts import Kiosk
from backoffice_console.hub.calls import CallSession
from backoffice_console.hub.cases import Case, record_event
from backoffice_console.hub.circulation.models import FINAL, Circulation, CirculationHop
from backoffice_console.hub.db import Database, utcnow


async def open_for_slip(
    s: AsyncSession,
    session_id: str,
    *,
    code: str,
    case_no: str,
    items: list[dict[str, Any]],
    location: str,
) -> int:
    """Open the circulation of a slip in the caller's transaction (a reprint keeps the first)."""
    existing = await s.scalar(select(Circulation.id).where(Circulation.code == code))
    if existing is not None:
        return int(existing)
    case_id = await s.scalar(select(Case.id).where(Case.session_id == session_id))
    now = utcnow()
    row = Circulation(
        code=code,
        session_id=session_id,
        case_id=case_id,
        case_no=case_no,
        items=items,
        state="issued",
        location=location[:200],
        created_at=now,
        state_at=now,
    )
    s.add(row)
    await s.flush()
    await record_event(s, session_id, "circulation_issued", None, code=code)
    return row.id


class CirculationStore:
    """Reads and locks circulation rows; the rules are `CirculationService`'s."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def of_session(self, session_id: str) -> list[Circulation]:
        """A session's circulations, oldest first."""
        async with self.db.session() as s:
            return list(
                await s.scalars(
                    select(Circulation)
                    .where(Circulation.session_id == session_id)
                    .order_by(Circulation.id)
                )
            )

    async def unfinished(self, limit: int = 5000) -> list[Circulation]:
        """Circulations not yet back with the resident."""
        async with self.db.session() as s:
            return list(
                await s.scalars(select(Circulation).where(Circulation.state != FINAL).limit(limit))
            )

    async def with_hops(self, code: str) -> tuple[Circulation, list[CirculationHop]] | None:
        """The circulation of `code` and its hops in order, or None."""
        async with self.db.session() as s:
            row = await s.scalar(select(Circulation).where(Circulation.code == code))
            if row is None:
                return None
            hops = await s.scalars(
                select(CirculationHop)
                .where(CirculationHop.circulation_id == row.id)
                .order_by(CirculationHop.id)
            )
            return row, list(hops)

    @staticmethod
    async def locked(s: AsyncSession, code: str) -> Circulation | None:
        """The circulation of `code`, locked for this transaction, or None."""
        return await s.scalar(select(Circulation).where(Circulation.code == code).with_for_update())

    @staticmethod
    async def same_point(s: AsyncSession, kiosk_id: int, session_id: str) -> bool:
        """Whether kiosk `kiosk_id` stands at the service point where `session_id` was held."""
        cs = await s.get(CallSession, session_id)
        origin = await s.get(Kiosk, cs.kiosk_id) if cs is not None else None
        mine = await s.get(Kiosk, kiosk_id)
        return origin is not None and mine is not None and origin.point_id == mine.point_id
