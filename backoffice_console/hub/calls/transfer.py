"""Transfer of a live call to another officer or to a line's queue; the session id is kept.

To an officer: they must be online, qualified for the call's line and free, else a
clear error and nothing changes. The session's officer (and its case's) changes in
one transaction; the old console gets `session.ended` ("transferred"), the new one
`session.started`, the kiosk `session.transferred` (it offers again, same session).

To a line: the session is parked (ended with reason `transfer_wait`, so the old
officer is free and nobody relays into it) and a waiting ticket of priority
"transfer" points at it. Whoever takes that ticket re-opens the same session.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.accounts import Kiosk, ServicePoint, User
from backoffice_console.hub.calls.events import CallMoved
from backoffice_console.hub.calls.models import CallSession, Ticket
from backoffice_console.hub.calls.queue_feed import QueueFeed
from backoffice_console.hub.calls.store import LEFT, TAKEN, WAITING, CallStore, SessionParties
from backoffice_console.hub.core.audit import audit_entry
from backoffice_console.hub.core.connections import Connection, Registry, ack, send_all
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.events import EventBus
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db import Database, lock_row, rowcount, utcnow
from shared.protocol import ErrorCode, IceServer, Role, SessionEnded, SessionStarted, TicketTake
from shared.protocol.routing import SessionTransfer, SessionTransferred

log = logging.getLogger(__name__)

PARKED = "transfer_wait"
"""`sessions.end_reason` of a call waiting in a line's queue for a new officer."""


async def _busy(s: AsyncSession, officer_id: int) -> bool:
    found = await s.scalar(
        select(CallSession.id).where(
            CallSession.officer_id == officer_id, CallSession.ended_at.is_(None)
        )
    )
    return found is not None


async def _peer_name(s: AsyncSession, kiosk_id: int) -> str:
    row = (
        await s.execute(
            select(Kiosk.name, ServicePoint.name)
            .join(ServicePoint, ServicePoint.id == Kiosk.point_id)
            .where(Kiosk.id == kiosk_id)
        )
    ).one()
    return f"{row[1]} {row[0]}".strip()[:200]


def _console_of(registry: Registry, officer_id: int) -> Connection | None:
    conns = [c for c in registry.user(officer_id) if c.open]
    return conns[-1] if conns else None


async def _call_of(db_session: AsyncSession, session_id: str, ticket_id: int) -> Ticket:
    """The call's current ticket: the latest transfer ticket, else the one that opened it."""
    latest = await db_session.scalar(
        select(Ticket)
        .where(Ticket.transfer_session_id == session_id)
        .order_by(Ticket.id.desc())
        .limit(1)
    )
    ticket = latest if latest is not None else await db_session.get(Ticket, ticket_id)
    assert ticket is not None
    return ticket


class Transfers:
    """Transfers of live calls (see the module docstring); the calls service owns one."""

    def __init__(
        self,
        *,
        db: Database,
        calls: CallStore,
        registry: Registry,
        bus: EventBus,
        feed: QueueFeed,
        ice_servers: list[IceServer],
    ) -> None:
        self.db = db
        self.calls = calls
        self.registry = registry
        self.bus = bus
        self.feed = feed
        self.ice_servers = ice_servers

    async def _moved(
        self,
        s: AsyncSession,
        session_id: str,
        actor: Principal,
        officer_id: int | None,
        detail: dict[str, object],
    ) -> None:
        """Tell the session's other records (its case) of the new officer, in this transaction."""
        await self.bus.publish(CallMoved(s, session_id, actor, officer_id, detail))

    async def transfer(self, conn: Connection, message: SessionTransfer) -> None:
        """Carry out a `session.transfer` from the holding officer (see module docstring)."""
        parties = await self.calls.holder_check(message.session_id, conn.principal)
        async with self.db.session() as s:
            cs = await s.get(CallSession, message.session_id)
            assert cs is not None
            ticket = await _call_of(s, cs.id, cs.ticket_id)
        if message.to_officer_id is not None:
            await self._to_officer(
                conn, message, parties, call_line=ticket.line, ticket_id=cs.ticket_id
            )
        else:
            await self._to_line(conn, message, parties, ticket.matter)

    async def _to_officer(
        self,
        conn: Connection,
        message: SessionTransfer,
        parties: SessionParties,
        *,
        call_line: str | None,
        ticket_id: int,
    ) -> None:
        officer, db = conn.principal, self.db
        target_id = message.to_officer_id
        assert target_id is not None
        if target_id == officer.subject_id:
            raise HubError(ErrorCode.BAD_STATE, "you already hold this call")
        target = _console_of(self.registry, target_id)
        policy = self.feed.policy
        if target is None or not policy.takes_calls(target.principal.role.value):
            raise HubError(ErrorCode.NOT_FOUND, "that officer is not online")
        if not await policy.may_take(target_id, call_line):
            raise HubError(
                ErrorCode.FORBIDDEN, f"that officer is not qualified for line {call_line}"
            )
        async with db.session() as s, s.begin():
            # The target's row lock orders this against their own ticket takes.
            await lock_row(s, User, target_id)
            if await _busy(s, target_id):
                raise HubError(ErrorCode.CONFLICT, "that officer is in another call")
            moved = await s.execute(
                update(CallSession)
                .where(
                    CallSession.id == parties.session_id,
                    CallSession.officer_id == officer.subject_id,
                    CallSession.ended_at.is_(None),
                )
                .values(officer_id=target_id)
            )
            if rowcount(moved) != 1:
                raise HubError(ErrorCode.NOT_IN_SESSION, "you do not hold this session")
            detail: dict[str, object] = {"from": officer.subject_id, "to": target_id}
            note = {"note": message.note or ""}
            await self._moved(s, parties.session_id, officer, target_id, {**detail, **note})
            s.add(audit_entry(officer, "session.transfer", parties.session_id, **detail))
            peer = await _peer_name(s, parties.kiosk_id)
        self.registry.session_console[parties.session_id] = target
        await ack(conn, message.id)
        ended = SessionEnded(session_id=parties.session_id, reason="transferred", by=Role.OFFICER)
        await conn.send(ended)
        started = SessionStarted(
            session_id=parties.session_id,
            ticket_id=ticket_id,
            offerer=False,
            peer_name=peer,
            ice_servers=self.ice_servers,
        )
        await target.send(started)
        notice = SessionTransferred(
            session_id=parties.session_id, peer_name=target.principal.display_name[:200]
        )
        await send_all(self.registry.kiosk(parties.kiosk_id), notice)
        log.info("%r transferred a call to officer %d", conn, target_id)

    async def _to_line(
        self,
        conn: Connection,
        message: SessionTransfer,
        parties: SessionParties,
        matter: str | None,
    ) -> None:
        officer, db = conn.principal, self.db
        line = message.to_line
        assert line is not None
        await self.feed.policy.check_transfer_line(line)
        async with db.session() as s, s.begin():
            parked = await s.execute(
                update(CallSession)
                .where(
                    CallSession.id == parties.session_id,
                    CallSession.officer_id == officer.subject_id,
                    CallSession.ended_at.is_(None),
                )
                .values(ended_at=utcnow(), end_reason=PARKED, ended_by=officer.role.value)
            )
            if rowcount(parked) != 1:
                raise HubError(ErrorCode.NOT_IN_SESSION, "you do not hold this session")
            waiting = Ticket(
                kiosk_id=parties.kiosk_id,
                matter=matter,
                state=WAITING,
                priority="transfer",
                line=line,
                transfer_session_id=parties.session_id,
            )
            s.add(waiting)
            await s.flush()
            detail = {"from": officer.subject_id, "to_line": line, "ticket_id": waiting.id}
            note = {"note": message.note or ""}
            await self._moved(s, parties.session_id, officer, None, {**detail, **note})
            s.add(audit_entry(officer, "session.transfer", parties.session_id, **detail))
        self.registry.session_console.pop(parties.session_id, None)
        await ack(conn, message.id)
        await conn.send(
            SessionEnded(session_id=parties.session_id, reason="transferred", by=Role.OFFICER)
        )
        await send_all(
            self.registry.kiosk(parties.kiosk_id),
            SessionTransferred(session_id=parties.session_id, waiting=True),
        )
        log.info("%r transferred a call to line %s", conn, line)
        await self.feed.publish()

    async def take_transferred(self, conn: Connection, message: TicketTake) -> bool:
        """Take a "transfer" ticket: re-open its parked session for this officer. False: not one."""
        async with self.db.session() as s:
            session_id = await s.scalar(
                select(Ticket.transfer_session_id).where(Ticket.id == message.ticket_id)
            )
        if session_id is None:
            return False
        officer, db = conn.principal, self.db
        now = utcnow()
        async with db.session() as s, s.begin():
            await lock_row(s, User, officer.subject_id)
            if await _busy(s, officer.subject_id):
                raise HubError(ErrorCode.BAD_STATE, "you are already in a session")
            won = await s.execute(
                update(Ticket)
                .where(Ticket.id == message.ticket_id, Ticket.state == WAITING)
                .values(state=TAKEN, taken_at=now, taken_by=officer.subject_id, closed_at=now)
            )
            if rowcount(won) != 1:
                raise HubError(ErrorCode.CONFLICT, "ticket already taken or gone")
            reopened = await s.execute(
                update(CallSession)
                .where(CallSession.id == session_id, CallSession.end_reason == PARKED)
                .values(
                    ended_at=None, end_reason=None, ended_by=None, officer_id=officer.subject_id
                )
            )
            if rowcount(reopened) != 1:
                raise HubError(ErrorCode.BAD_STATE, "the transferred call is over")
            cs = await s.get(CallSession, session_id)
            assert cs is not None
            kiosk_id, ticket_id = cs.kiosk_id, cs.ticket_id
            await self._moved(
                s, session_id, officer, officer.subject_id, {"taken_by": officer.subject_id}
            )
            s.add(
                audit_entry(
                    officer, "session.transfer_taken", session_id, ticket_id=message.ticket_id
                )
            )
            peer = await _peer_name(s, kiosk_id)
        if not self.registry.kiosk(kiosk_id):
            await self.calls.end(session_id, None, "peer_gone", "hub", False)
            await self.feed.publish()
            raise HubError(ErrorCode.NOT_FOUND, "the kiosk of this ticket is no longer connected")
        self.registry.session_console[session_id] = conn
        await ack(conn, message.id)
        await self.feed.publish()
        await conn.send(
            SessionStarted(
                session_id=session_id,
                ticket_id=ticket_id,
                offerer=False,
                peer_name=peer,
                ice_servers=self.ice_servers,
            )
        )
        await send_all(
            self.registry.kiosk(kiosk_id),
            SessionTransferred(session_id=session_id, peer_name=officer.display_name[:200]),
        )
        return True

    async def kiosk_hangs_up_waiting(self, kiosk: Principal, session_id: str) -> bool:
        """A kiosk hangs up a call parked in a line's queue: its ticket leaves (False: none)."""
        if not kiosk.is_kiosk:
            return False
        db = self.db
        async with db.session() as s, s.begin():
            left = await s.execute(
                update(Ticket)
                .where(
                    Ticket.transfer_session_id == session_id,
                    Ticket.kiosk_id == kiosk.subject_id,
                    Ticket.state == WAITING,
                )
                .values(state=LEFT, closed_at=utcnow())
            )
            if rowcount(left) != 1:
                return False
            await s.execute(
                update(CallSession)
                .where(CallSession.id == session_id, CallSession.end_reason == PARKED)
                .values(end_reason="hangup", ended_by=kiosk.role.value)
            )
            s.add(audit_entry(kiosk, "session.end", session_id, reason="hangup", by="kiosk"))
        await self.feed.publish()
        return True

    async def kiosk_gone(self, kiosk: Principal) -> None:
        """A kiosk went away: its parked calls (their tickets left the queue) end as peer_gone."""
        async with self.db.session() as s, s.begin():
            gone = await s.execute(
                update(CallSession)
                .where(CallSession.kiosk_id == kiosk.subject_id, CallSession.end_reason == PARKED)
                .values(end_reason="peer_gone", ended_by="kiosk")
            )
            if rowcount(gone):
                s.add(audit_entry(kiosk, "session.parked_gone", sessions=rowcount(gone)))
