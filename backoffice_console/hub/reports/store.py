"""The one query behind the reports: a line of facts per case opened in a period.

Joins and a GROUP BY for the open rectifications, portable between SQLite and
PostgreSQL; medians and local days are left to `service` (neither has a portable SQL form).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from backoffice_console.hub.accounts import ServicePoint, User
from backoffice_console.hub.calls import CallSession, Ticket
from backoffice_console.hub.cases import Case
from backoffice_console.hub.db import Database
from backoffice_console.hub.evaluation import Rating, Rectification

MAX_CASES = 200_000


@dataclass(frozen=True)
class CaseFacts:
    """What the report needs of one case."""

    case_id: int
    opened_at: dt.datetime
    state: str
    officer_id: int
    officer_name: str
    point_id: int
    point_name: str
    line_code: str | None
    waiting_s: float | None
    handling_s: float | None
    rating: int | None
    open_rectifications: int


def _utc_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """UTC instants of the hub's local midnight starting `start` and ending `end`."""
    low = dt.datetime.combine(start, dt.time.min).astimezone()
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min).astimezone()
    return low.astimezone(dt.UTC), high.astimezone(dt.UTC)


def _seconds(a: dt.datetime | None, b: dt.datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return max(0.0, (b - a).total_seconds())


async def case_facts(
    db: Database, start: dt.date, end: dt.date, officer_id: int | None = None
) -> list[CaseFacts]:
    """The cases opened in the local days `start`..`end` (one officer's when given)."""
    low, high = _utc_bounds(start, end)
    open_rect = (
        select(Rectification.session_id, func.count(Rectification.id).label("n"))
        .where(Rectification.state == "open")
        .group_by(Rectification.session_id)
        .subquery()
    )
    query = (
        select(
            Case.id,
            Case.opened_at,
            Case.state,
            Case.officer_id,
            User.display_name,
            Case.point_id,
            ServicePoint.name,
            Case.line_code,
            Ticket.created_at,
            Ticket.taken_at,
            CallSession.started_at,
            CallSession.ended_at,
            Rating.level,
            open_rect.c.n,
        )
        .join(Ticket, Ticket.id == Case.ticket_id)
        .join(CallSession, CallSession.id == Case.session_id)
        .join(User, User.id == Case.officer_id)
        .join(ServicePoint, ServicePoint.id == Case.point_id)
        .outerjoin(Rating, Rating.session_id == Case.session_id)
        .outerjoin(open_rect, open_rect.c.session_id == Case.session_id)
        .where(Case.opened_at >= low, Case.opened_at < high)
        .order_by(Case.opened_at, Case.id)
        .limit(MAX_CASES)
    )
    if officer_id is not None:
        query = query.where(Case.officer_id == officer_id)
    async with db.session() as s:
        rows = (await s.execute(query)).all()
    return [
        CaseFacts(
            case_id=r[0],
            opened_at=r[1],
            state=r[2],
            officer_id=r[3],
            officer_name=r[4],
            point_id=r[5],
            point_name=r[6],
            line_code=r[7],
            # A transferred call's ticket is the first one: waiting is the resident's wait.
            waiting_s=_seconds(r[8], r[9]),
            handling_s=_seconds(r[10], r[11]),
            rating=r[12],
            open_rectifications=int(r[13] or 0),
        )
        for r in rows
    ]
