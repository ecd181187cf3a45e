"""What the hub does with each call message: queue, ticket taking, call signaling.

Rules kept here:
- Roles: kiosks may join/leave the queue, offer, report call state and hang up;
  officers and admins may take tickets, answer, report call state and hang up
  (`register` tells the websocket endpoint; anything else is `forbidden`).
- A request's `Ack` is sent once its change is committed to the database, before
  the notifications it causes (queue updates, `session.started`, relays).
- A second `queue.join` while waiting keeps the same ticket and place.
- Nothing here raises into the connection loop: a `HubError` becomes an `ErrorReply`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web
from pydantic import BaseModel

from backoffice_console.hub.calls.devices import (
    CONSOLE_DEVICE_MESSAGES,
    KIOSK_DEVICE_MESSAGES,
    DeviceRelay,
)
from backoffice_console.hub.calls.events import CallStateReported, CallTaken
from backoffice_console.hub.calls.queue_feed import QueueFeed
from backoffice_console.hub.calls.store import CallStore, SessionParties
from backoffice_console.hub.calls.transfer import Transfers
from backoffice_console.hub.core.connections import Connection, Registry, ack, send_all
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.events import EventBus
from backoffice_console.hub.core.ws import Disconnected, MessageRoutes, Welcomed
from shared.protocol import (
    CallStateReport,
    ErrorCode,
    IceServer,
    QueueJoin,
    QueueLeave,
    Role,
    RtcAnswer,
    RtcOffer,
    SessionEnd,
    SessionEnded,
    SessionStarted,
    TicketTake,
)
from shared.protocol.routing import SessionTransfer, TicketNext

log = logging.getLogger(__name__)

CONSOLE_ROLES = (Role.OFFICER, Role.ADMIN)


class PendingOffers:
    """Offers relayed per session and not answered yet: each `rtc.answer` needs one.

    A kiosk that reconnects offers again before the first answer came, and the console
    answers both; so a count, not a flag. In memory, like the live registry: after a hub
    restart a kiosk offers again anyway. Bounded, oldest session forgotten first, so
    sessions that ended without a word leave nothing behind.
    """

    LIMIT = 4096
    PER_SESSION = 16

    def __init__(self) -> None:
        self._waiting: dict[str, int] = {}

    def add(self, session_id: str) -> None:
        """An offer was relayed in `session_id`."""
        count = self._waiting.pop(session_id, 0)
        self._waiting[session_id] = min(count + 1, self.PER_SESSION)  # most recent last
        while len(self._waiting) > self.LIMIT:
            del self._waiting[next(iter(self._waiting))]

    def answered(self, session_id: str) -> None:
        """One of its offers was answered."""
        count = self._waiting.pop(session_id, 0) - 1
        if count > 0:
            self._waiting[session_id] = count

    def ended(self, session_id: str) -> None:
        """The session ended: its offers need no answers any more."""
        self._waiting.pop(session_id, None)

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._waiting


class Signaling:
    """The calls domain's service: queue, takes, signaling relay and hang-ups."""

    def __init__(
        self,
        *,
        calls: CallStore,
        registry: Registry,
        bus: EventBus,
        ice_servers: list[IceServer],
        devices: DeviceRelay,
        feed: QueueFeed,
        transfers: Transfers,
        stopping: Callable[[], bool],
    ) -> None:
        self.calls = calls
        self.registry = registry
        self.bus = bus
        self.devices = devices
        self.feed = feed
        self.transfers = transfers
        self.ice_servers = list(ice_servers)
        self._stopping = stopping
        self._offers = PendingOffers()

    def register(self, routes: MessageRoutes) -> None:
        """Tell the websocket endpoint which messages come here, from whom."""
        both = (Role.KIOSK, *CONSOLE_ROLES)
        routes.register((QueueJoin,), (Role.KIOSK,), self._join)
        routes.register((QueueLeave,), (Role.KIOSK,), self._leave)
        routes.register((RtcOffer,), (Role.KIOSK,), self._offer)
        routes.register((TicketTake,), CONSOLE_ROLES, self._take)
        routes.register((TicketNext,), CONSOLE_ROLES, self._next)
        routes.register((SessionTransfer,), CONSOLE_ROLES, self.transfers.transfer)
        routes.register((RtcAnswer,), CONSOLE_ROLES, self._answer)
        routes.register((CallStateReport,), both, self._call_state)
        routes.register((SessionEnd,), both, self._end)
        routes.register(KIOSK_DEVICE_MESSAGES, (Role.KIOSK,), self.devices.handle)
        routes.register(CONSOLE_DEVICE_MESSAGES, CONSOLE_ROLES, self.devices.handle)

    # --- connection lifecycle ------------------------------------------------

    async def on_welcomed(self, event: Welcomed) -> None:
        """A console sees the queue as soon as it is greeted."""
        if event.conn.principal.role in CONSOLE_ROLES:
            await event.conn.send(await self.feed.snapshot_for(event.conn.principal))

    async def on_disconnected(self, event: Disconnected) -> None:
        """After a subject's last connection closed: its ticket leaves, its calls end."""
        if not event.last or self._stopping():
            return
        p = event.conn.principal
        if p.is_kiosk:
            if await self.calls.leave(p.subject_id, p, reason="disconnect") is not None:
                await self.feed.publish()
            await self.transfers.kiosk_gone(p)  # a call parked in a line's queue ends too
        elif p.role not in CONSOLE_ROLES:
            return
        for session_id in await self.calls.live_sessions(p):
            parties = await self.calls.end(session_id, p, "peer_gone", p.role.value, False)
            if parties is not None:
                ended = SessionEnded(session_id=session_id, reason="peer_gone", by=p.role)
                await self._to_other_side(parties, p.role, ended)
                log.info("session ended: %s went away", p.role.value)

    # --- messages ------------------------------------------------------------

    async def _join(self, conn: Connection, message: QueueJoin) -> None:
        fields = await self.feed.policy.join_fields(message)
        ticket_id, created = await self.calls.join(conn.principal, message.matter, **fields)
        if not created:
            self.registry.positions.pop(ticket_id, None)  # re-send its status
        await ack(conn, message.id)
        await self.feed.publish()

    async def _leave(self, conn: Connection, message: QueueLeave) -> None:
        p = conn.principal
        left = await self.calls.leave(p.subject_id, p, reason="leave")
        await ack(conn, message.id)
        if left is not None:
            await self.feed.publish()

    async def _next(self, conn: Connection, message: TicketNext) -> None:
        ticket_id = await self.feed.policy.next_for(conn.principal)
        await self._take(conn, TicketTake(id=message.id, ticket_id=ticket_id))

    async def _offer(self, conn: Connection, message: RtcOffer) -> None:
        parties = await self.calls.record_offer(message.session_id, conn.principal)
        self._offers.add(message.session_id)
        await ack(conn, message.id)
        relay = RtcOffer(session_id=message.session_id, sdp=message.sdp)
        await self._to_other_side(parties, conn.principal.role, relay)

    async def _answer(self, conn: Connection, message: RtcAnswer) -> None:
        if message.session_id not in self._offers:
            await self.calls.holder_check(message.session_id, conn.principal)  # not_in_session
            raise HubError(ErrorCode.BAD_STATE, "no offer to answer in this session")
        parties = await self.calls.record_answer(message.session_id, conn.principal)
        self._offers.answered(message.session_id)
        await ack(conn, message.id)
        relay = RtcAnswer(session_id=message.session_id, sdp=message.sdp)
        await self._to_other_side(parties, conn.principal.role, relay)

    async def _call_state(self, conn: Connection, message: CallStateReport) -> None:
        p = conn.principal
        parties = await self.calls.record_call_state(message.session_id, p, message.state)
        await ack(conn, message.id)
        relay = CallStateReport(session_id=message.session_id, state=message.state)
        await self._to_other_side(parties, p.role, relay)
        await self.bus.announce(CallStateReported(message.session_id, message.state.value))

    async def _end(self, conn: Connection, message: SessionEnd) -> None:
        p = conn.principal
        if await self.transfers.kiosk_hangs_up_waiting(p, message.session_id):
            await ack(conn, message.id)
            return
        parties = await self.calls.end(message.session_id, p, message.reason, p.role.value)
        if parties is None:
            raise HubError(ErrorCode.NOT_IN_SESSION, "the session has already ended")
        await ack(conn, message.id)
        self._offers.ended(message.session_id)
        ended = SessionEnded(session_id=message.session_id, reason=message.reason, by=p.role)
        await send_all(self._kiosk_side(parties), ended)
        await send_all(self._console_side(parties), ended)
        self.registry.session_console.pop(message.session_id, None)

    async def _take(self, conn: Connection, message: TicketTake) -> None:
        officer = conn.principal
        await self.feed.policy.check_take(message.ticket_id, officer)
        if await self.transfers.take_transferred(conn, message):
            return
        taken = await self.calls.take(message.ticket_id, officer)
        if not self.registry.kiosk(taken.kiosk_id):
            # The kiosk went away between its last message and this take.
            await self.calls.end(taken.session_id, None, "peer_gone", "hub", False)
            await self.feed.publish()
            raise HubError(ErrorCode.NOT_FOUND, "the kiosk of this ticket is no longer connected")
        self.registry.session_console[taken.session_id] = conn
        await ack(conn, message.id)
        # The queue first: routing's snapshot takes a few queries, and a late one would
        # overtake the call's first signaling at the console.
        await self.feed.publish()
        common = {
            "session_id": taken.session_id,
            "ticket_id": taken.ticket_id,
            "ice_servers": self.ice_servers,
        }
        await send_all(
            self.registry.kiosk(taken.kiosk_id),
            SessionStarted(offerer=True, peer_name=officer.display_name[:200], **common),
        )
        peer = f"{taken.point_name} {taken.kiosk_name}".strip()[:200]
        await conn.send(SessionStarted(offerer=False, peer_name=peer, **common))
        log.info("%r took ticket %d", conn, taken.ticket_id)
        await self.bus.publish(CallTaken(taken.session_id))

    # --- fan-out -------------------------------------------------------------

    def _kiosk_side(self, parties: SessionParties) -> list[Connection]:
        return self.registry.kiosk(parties.kiosk_id)

    def _console_side(self, parties: SessionParties) -> list[Connection]:
        return self.registry.console_for(parties.session_id, parties.officer_id)

    async def _to_other_side(
        self, parties: SessionParties, sender: Role, message: BaseModel
    ) -> None:
        targets = self._console_side(parties) if sender is Role.KIOSK else self._kiosk_side(parties)
        await send_all(targets, message)


CALLS_KEY = web.AppKey("calls", Signaling)
