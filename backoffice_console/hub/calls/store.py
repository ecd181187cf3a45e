"""Queue tickets and call sessions in the database.

Every state change that can race (two consoles taking one ticket, a session
ended from both sides at once) is a conditional UPDATE whose row count says
who won, so it stays right with several hub instances on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.accounts import Kiosk, ServicePoint, User
from backoffice_console.hub.calls.events import QueueJoining, SessionOpening
from backoffice_console.hub.calls.models import CallSession, Ticket
from backoffice_console.hub.core.audit import audit_entry
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.events import EventBus
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db import Database, iso, utcnow
from backoffice_console.hub.db.rows import lock_row, rowcount
from shared.protocol import CallState, ErrorCode, TicketInfo

WAITING, TAKEN, LEFT, EXPIRED = "waiting", "taken", "left", "expired"


@dataclass(frozen=True)
class TakenTicket:
    """A ticket an officer just took, with the session it opened."""

    session_id: str
    ticket_id: int
    kiosk_id: int
    point_name: str
    kiosk_name: str


@dataclass(frozen=True)
class SessionParties:
    """The two parties of a session (kiosk and officer), for telling both about it."""

    session_id: str
    kiosk_id: int
    officer_id: int


class CallStore:
    """Tickets and sessions (see module docstring)."""

    def __init__(self, db: Database, bus: EventBus) -> None:
        self._db = db
        # Publishes QueueJoining (a listener may refuse) and SessionOpening (in the take's
        # transaction, so a case opens with its session or not at all).
        self._bus = bus

    # --- queue ---------------------------------------------------------------

    async def join(
        self,
        kiosk: Principal,
        matter: str | None,
        priority: str = "normal",
        line: str | None = None,
        assistance: bool = False,
    ) -> tuple[int, bool]:
        """The kiosk's waiting ticket, created if it has none: `(ticket_id, created)`.

        A second join while waiting keeps the ticket and its place (the matter and
        routing fields are updated), so a kiosk that retries after a lost ack is not
        sent to the back. `priority`/`line`/`assistance`: see hub/routing.py.
        """
        await self._bus.publish(QueueJoining(kiosk))
        async with self._db.session() as s, s.begin():
            # One join per kiosk at a time (two connections, or two hubs on PostgreSQL),
            # so the look-up below and the insert cannot make a second waiting ticket.
            await lock_row(s, Kiosk, kiosk.subject_id)
            if await self._live_of(s, CallSession.kiosk_id == kiosk.subject_id):
                raise HubError(ErrorCode.BAD_STATE, "this kiosk is in a session")
            ticket = await s.scalar(
                select(Ticket).where(Ticket.kiosk_id == kiosk.subject_id, Ticket.state == WAITING)
            )
            routing = {"priority": priority, "line": line, "assistance": assistance}
            if ticket is not None:
                ticket.matter = matter
                for key, value in routing.items():
                    setattr(ticket, key, value)
                return ticket.id, False
            ticket = Ticket(kiosk_id=kiosk.subject_id, matter=matter, state=WAITING, **routing)
            s.add(ticket)
            await s.flush()
            s.add(audit_entry(kiosk, "queue.join", ticket_id=ticket.id, matter=matter))
            return ticket.id, True

    async def leave(self, kiosk_id: int, actor: Principal | None, reason: str) -> int | None:
        """Take the kiosk's waiting ticket out of the queue; returns its id, or None."""
        async with self._db.session() as s, s.begin():
            ticket_id = await s.scalar(
                select(Ticket.id).where(Ticket.kiosk_id == kiosk_id, Ticket.state == WAITING)
            )
            if ticket_id is None:
                return None
            done = await s.execute(
                update(Ticket)
                .where(Ticket.id == ticket_id, Ticket.state == WAITING)
                .values(state=LEFT, closed_at=utcnow())
            )
            if rowcount(done) != 1:
                return None
            s.add(audit_entry(actor, "queue.leave", ticket_id=ticket_id, reason=reason))
            return ticket_id

    async def waiting(self) -> list[tuple[int, TicketInfo]]:
        """Every waiting ticket oldest first, as `(kiosk_id, TicketInfo)`."""
        async with self._db.session() as s:
            rows = await s.execute(
                select(Ticket, Kiosk.name, ServicePoint.name)
                .join(Kiosk, Kiosk.id == Ticket.kiosk_id)
                .join(ServicePoint, ServicePoint.id == Kiosk.point_id)
                .where(Ticket.state == WAITING)
                .order_by(Ticket.created_at, Ticket.id)
            )
            return [
                (
                    ticket.kiosk_id,
                    TicketInfo(
                        ticket_id=ticket.id,
                        point_name=point_name[:200],
                        kiosk_name=kiosk_name[:200],
                        matter=ticket.matter,
                        waiting_since=ticket.created_at,
                        line=ticket.line,
                        priority=ticket.priority,
                        overdue=ticket.flagged_overdue_at is not None,
                    ),
                )
                for ticket, kiosk_name, point_name in rows
            ]

    async def take(self, ticket_id: int, officer: Principal) -> TakenTicket:
        """Mark a waiting ticket taken and open its session; exactly one racer wins."""
        now = utcnow()
        async with self._db.session() as s, s.begin():
            # One take per officer at a time, so an officer cannot open two sessions at once.
            await lock_row(s, User, officer.subject_id)
            if await self._live_of(s, CallSession.officer_id == officer.subject_id):
                raise HubError(ErrorCode.BAD_STATE, "you are already in a session")
            won = await s.execute(
                update(Ticket)
                .where(Ticket.id == ticket_id, Ticket.state == WAITING)
                .values(state=TAKEN, taken_at=now, taken_by=officer.subject_id, closed_at=now)
            )
            if rowcount(won) != 1:
                state = await s.scalar(select(Ticket.state).where(Ticket.id == ticket_id))
                if state is None:
                    raise HubError(ErrorCode.NOT_FOUND, "no such ticket")
                if state == TAKEN:
                    raise HubError(ErrorCode.CONFLICT, "ticket already taken")
                raise HubError(ErrorCode.BAD_STATE, f"ticket is {state}")
            row = (
                await s.execute(
                    select(Ticket.kiosk_id, Kiosk.name, ServicePoint.name)
                    .join(Kiosk, Kiosk.id == Ticket.kiosk_id)
                    .join(ServicePoint, ServicePoint.id == Kiosk.point_id)
                    .where(Ticket.id == ticket_id)
                )
            ).one()
            kiosk_id, kiosk_name, point_name = row
            session_id = secrets.token_urlsafe(16)
            s.add(
                CallSession(
                    id=session_id,
                    ticket_id=ticket_id,
                    kiosk_id=kiosk_id,
                    officer_id=officer.subject_id,
                    started_at=now,
                    reconnects=0,
                )
            )
            await s.flush()
            await self._bus.publish(SessionOpening(s, session_id))
            s.add(audit_entry(officer, "session.start", session_id, ticket_id=ticket_id))
            return TakenTicket(session_id, ticket_id, kiosk_id, point_name, kiosk_name)

    # --- sessions ------------------------------------------------------------

    async def _live_of(self, s: AsyncSession, condition: Any) -> list[CallSession]:
        rows = await s.scalars(select(CallSession).where(condition, CallSession.ended_at.is_(None)))
        return list(rows)

    async def _held(self, s: AsyncSession, session_id: str, who: Principal) -> CallSession:
        session = await s.get(CallSession, session_id)
        holder = (
            session is not None
            and session.ended_at is None
            and (
                session.kiosk_id == who.subject_id
                if who.is_kiosk
                else session.officer_id == who.subject_id
            )
        )
        if not holder or session is None:
            raise HubError(ErrorCode.NOT_IN_SESSION, "you do not hold this session")
        return session

    async def holder_check(self, session_id: str, who: Principal) -> SessionParties:
        """The parties of a live session `who` holds; `not_in_session` otherwise."""
        async with self._db.session() as s:
            cs = await self._held(s, session_id, who)
            return SessionParties(cs.id, cs.kiosk_id, cs.officer_id)

    async def record_offer(self, session_id: str, kiosk: Principal) -> SessionParties:
        """Note an offer from the kiosk: the first sets `offer_at`, later ones count reconnects."""
        async with self._db.session() as s, s.begin():
            cs = await self._held(s, session_id, kiosk)
            if cs.offer_at is None:
                cs.offer_at = utcnow()
                s.add(audit_entry(kiosk, "rtc.offer", session_id))
            else:
                cs.reconnects += 1
                s.add(audit_entry(kiosk, "rtc.reconnect", session_id, count=cs.reconnects))
            return SessionParties(cs.id, cs.kiosk_id, cs.officer_id)

    async def record_answer(self, session_id: str, officer: Principal) -> SessionParties:
        """Note an answer from the officer: the first sets `answered_at`."""
        async with self._db.session() as s, s.begin():
            cs = await self._held(s, session_id, officer)
            if cs.answered_at is None:
                cs.answered_at = utcnow()
                s.add(audit_entry(officer, "rtc.answer", session_id))
            return SessionParties(cs.id, cs.kiosk_id, cs.officer_id)

    async def record_call_state(
        self, session_id: str, who: Principal, state: CallState
    ) -> SessionParties:
        """Note a media state report: the first `connected` sets `connected_at`."""
        async with self._db.session() as s, s.begin():
            cs = await self._held(s, session_id, who)
            if state is CallState.CONNECTED and cs.connected_at is None:
                cs.connected_at = utcnow()
                s.add(audit_entry(who, "call.connected", session_id))
            return SessionParties(cs.id, cs.kiosk_id, cs.officer_id)

    async def end(
        self,
        session_id: str,
        who: Principal | None,
        reason: str,
        by: str,
        check_holder: bool = True,
    ) -> SessionParties | None:
        """End a live session; None if it had already ended (someone else won the race)."""
        async with self._db.session() as s, s.begin():
            if check_holder and who is not None:
                await self._held(s, session_id, who)
            cs = await s.get(CallSession, session_id)
            if cs is None:
                return None
            done = await s.execute(
                update(CallSession)
                .where(CallSession.id == session_id, CallSession.ended_at.is_(None))
                .values(ended_at=utcnow(), end_reason=reason, ended_by=by)
            )
            if rowcount(done) != 1:
                return None
            s.add(audit_entry(who, "session.end", session_id, reason=reason, by=by))
            return SessionParties(cs.id, cs.kiosk_id, cs.officer_id)

    async def live_sessions(self, who: Principal) -> list[str]:
        """Ids of the live sessions `who` (kiosk or officer) holds."""
        column = CallSession.kiosk_id if who.is_kiosk else CallSession.officer_id
        async with self._db.session() as s:
            return [cs.id for cs in await self._live_of(s, column == who.subject_id)]

    async def close_leftovers(self, reason: str = "hub_restart") -> tuple[int, int]:
        """Expire waiting tickets and end live sessions (at start and stop: nobody is connected)."""
        now = utcnow()
        async with self._db.session() as s, s.begin():
            tickets = await s.execute(
                update(Ticket).where(Ticket.state == WAITING).values(state=EXPIRED, closed_at=now)
            )
            sessions = await s.execute(
                update(CallSession)
                .where(CallSession.ended_at.is_(None))
                .values(ended_at=now, end_reason=reason, ended_by="hub")
            )
            counts = (rowcount(tickets), rowcount(sessions))
            if any(counts):
                s.add(audit_entry(None, reason, tickets=counts[0], sessions=counts[1]))
            return counts

    # --- reports -------------------------------------------------------------

    async def list_sessions(
        self,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        officer_id: int | None = None,
        session_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Sessions started in `[start, end)`, optionally one officer's or one id, oldest first."""
        query = (
            select(CallSession, Ticket.matter, Kiosk.name, ServicePoint.name, User.display_name)
            .join(Ticket, Ticket.id == CallSession.ticket_id)
            .join(Kiosk, Kiosk.id == CallSession.kiosk_id)
            .join(ServicePoint, ServicePoint.id == Kiosk.point_id)
            .join(User, User.id == CallSession.officer_id)
            .order_by(CallSession.started_at, CallSession.id)
        )
        if start is not None:
            query = query.where(CallSession.started_at >= start)
        if end is not None:
            query = query.where(CallSession.started_at < end)
        if officer_id is not None:
            query = query.where(CallSession.officer_id == officer_id)
        if session_id is not None:
            query = query.where(CallSession.id == session_id)
        async with self._db.session() as s:
            rows = (await s.execute(query)).all()
        return [
            {
                "session_id": cs.id,
                "ticket_id": cs.ticket_id,
                "officer_id": cs.officer_id,
                "point_name": point_name,
                "kiosk_name": kiosk_name,
                "officer_name": officer_name,
                "matter": matter,
                "started_at": iso(cs.started_at),
                "offer_at": iso(cs.offer_at),
                "answered_at": iso(cs.answered_at),
                "connected_at": iso(cs.connected_at),
                "ended_at": iso(cs.ended_at),
                "end_reason": cs.end_reason,
                "ended_by": cs.ended_by,
                "reconnects": cs.reconnects,
            }
            for cs, matter, kiosk_name, point_name, officer_name in rows
        ]
