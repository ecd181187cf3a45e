"""What the hub does with each websocket message: queue, ticket taking, call signaling.

Rules kept here:
- Role checks first: kiosks may join/leave the queue, offer, report call state
  and hang up; officers and admins may take tickets, answer, report call state
  and hang up. Anything else is `forbidden`.
- A request's `Ack` is sent once its change is committed to the database, before
  the notifications it causes (queue updates, `session.started`, relays).
- A second `queue.join` while waiting keeps the same ticket and place.
- Nothing here raises into the connection loop: bad input gets an `ErrorReply`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from pydantic import BaseModel

from backoffice_console.hub import transfer
from backoffice_console.hub.calls import CallStore, SessionParties
from backoffice_console.hub.db import utcnow
from backoffice_console.hub.devices import (
    CONSOLE_DEVICE_MESSAGES,
    KIOSK_DEVICE_MESSAGES,
    DeviceRelay,
)
from backoffice_console.hub.errors import HubError
from backoffice_console.hub.registry import Connection, Registry, send_all
from backoffice_console.hub.routing import Router
from shared.protocol import (
    Ack,
    CallStateReport,
    ErrorCode,
    ErrorReply,
    IceServer,
    ProtocolError,
    QueueJoin,
    QueueLeave,
    QueueStatus,
    Role,
    RtcAnswer,
    RtcOffer,
    SessionEnd,
    SessionEnded,
    SessionStarted,
    TicketTake,
    Welcome,
    decode_client_message,
)
from shared.protocol.routing import SessionTransfer, TicketNext

log = logging.getLogger(__name__)

KIOSK_MESSAGES = (
    QueueJoin,
    QueueLeave,
    RtcOffer,
    CallStateReport,
    SessionEnd,
    *KIOSK_DEVICE_MESSAGES,
)
CONSOLE_MESSAGES = (
    TicketTake,
    TicketNext,
    SessionTransfer,
    RtcAnswer,
    CallStateReport,
    SessionEnd,
    *CONSOLE_DEVICE_MESSAGES,
)
CONSOLE_ROLES = (Role.OFFICER, Role.ADMIN)


def _allowed(role: Role, message: object) -> bool:
    if role is Role.KIOSK:
        return isinstance(message, KIOSK_MESSAGES)
    if role in CONSOLE_ROLES:
        return isinstance(message, CONSOLE_MESSAGES)
    return False


class Signaling:
    """Handles connections and messages; state lives in `CallStore` and `Registry`."""

    def __init__(
        self,
        calls: CallStore,
        registry: Registry,
        ice_servers: list[IceServer],
        devices: DeviceRelay | None = None,
        *,
        router: Router,
    ) -> None:
        self.calls = calls
        self.router = router
        self.registry = registry
        self.devices = devices
        self.ice_servers = list(ice_servers)
        self.stopping = False
        # Told a session id once both sides know of the session (cases push their summary).
        self.after_take: list[Callable[[str], Awaitable[None]]] = []
        # Serialises queue broadcasts so a slower, older snapshot never overtakes a newer one.
        self._queue_lock = asyncio.Lock()

    # --- connection lifecycle ------------------------------------------------

    async def connected(self, conn: Connection) -> None:
        """Greet a new connection; consoles get the queue at once."""
        p = conn.principal
        await conn.send(
            Welcome(
                role=p.role,
                subject_id=p.subject_id,
                display_name=p.display_name[:200],
                server_time=utcnow(),
            )
        )
        if p.role in CONSOLE_ROLES:
            await conn.send(await self.router.snapshot_for(p))

    async def disconnected(self, conn: Connection, last: bool) -> None:
        """After a connection closed: when it was its subject's last, clean up after them."""
        if not last or self.stopping:
            return
        p = conn.principal
        if p.is_kiosk:
            if await self.calls.leave(p.subject_id, p, reason="disconnect") is not None:
                await self.publish_queue()
            await transfer.kiosk_gone(self, p)  # a call parked in a line's queue ends too
        elif p.role not in CONSOLE_ROLES:
            return
        for session_id in await self.calls.live_sessions(p):
            parties = await self.calls.end(session_id, p, "peer_gone", p.role.value, False)
            if parties is not None:
                ended = SessionEnded(session_id=session_id, reason="peer_gone", by=p.role)
                await self._to_other_side(parties, p.role, ended)
                log.info("session ended: %s went away", p.role.value)

    # --- messages ------------------------------------------------------------

    async def handle(self, conn: Connection, data: str | bytes) -> None:
        """Decode, authorise and carry out one client message; reply on error."""
        request_id: str | None = None
        try:
            try:
                message = decode_client_message(data)
            except ProtocolError as exc:
                request_id = exc.request_id
                raise HubError(exc.code, exc.message) from None
            request_id = message.id
            if not _allowed(conn.principal.role, message):
                raise HubError(ErrorCode.FORBIDDEN, f"{message.type} is not allowed for this role")
            await self._dispatch(conn, message)
        except HubError as exc:
            log.info("%r: refused (%s)", conn, exc.code.value)
            await conn.send(ErrorReply(re=request_id, code=exc.code, message=exc.message[:200]))
        except Exception:
            log.exception("%r: message handling failed", conn)
            await conn.send(
                ErrorReply(re=request_id, code=ErrorCode.INTERNAL, message="internal error")
            )

    async def _ack(self, conn: Connection, request_id: str | None) -> None:
        if request_id is not None:
            await conn.send(Ack(re=request_id))

    async def _dispatch(self, conn: Connection, message: object) -> None:
        p = conn.principal
        if isinstance(message, KIOSK_DEVICE_MESSAGES + CONSOLE_DEVICE_MESSAGES):
            if self.devices is None:
                raise HubError(ErrorCode.BAD_STATE, "device commands are not enabled on this hub")
            await self.devices.handle(conn, message)
        elif isinstance(message, QueueJoin):
            fields = await self.router.join_fields(message)
            ticket_id, created = await self.calls.join(p, message.matter, **fields)
            if not created:
                self.registry.positions.pop(ticket_id, None)  # re-send its status
            await self._ack(conn, message.id)
            await self.publish_queue()
        elif isinstance(message, QueueLeave):
            left = await self.calls.leave(p.subject_id, p, reason="leave")
            await self._ack(conn, message.id)
            if left is not None:
                await self.publish_queue()
        elif isinstance(message, TicketTake):
            await self._take(conn, message)
        elif isinstance(message, TicketNext):
            ticket_id = await self.router.next_for(p)
            await self._take(conn, TicketTake(id=message.id, ticket_id=ticket_id))
        elif isinstance(message, SessionTransfer):
            await transfer.transfer(self, conn, message)
        elif isinstance(message, RtcOffer):
            parties = await self.calls.record_offer(message.session_id, p)
            await self._ack(conn, message.id)
            relay = RtcOffer(session_id=message.session_id, sdp=message.sdp)
            await self._to_other_side(parties, p.role, relay)
        elif isinstance(message, RtcAnswer):
            parties = await self.calls.record_answer(message.session_id, p)
            await self._ack(conn, message.id)
            relay_answer = RtcAnswer(session_id=message.session_id, sdp=message.sdp)
            await self._to_other_side(parties, p.role, relay_answer)
        elif isinstance(message, CallStateReport):
            parties = await self.calls.record_call_state(message.session_id, p, message.state)
            await self._ack(conn, message.id)
            relay_state = CallStateReport(session_id=message.session_id, state=message.state)
            await self._to_other_side(parties, p.role, relay_state)
        elif isinstance(message, SessionEnd):
            if await transfer.kiosk_hangs_up_waiting(self, p, message.session_id):
                await self._ack(conn, message.id)
                return
            ended_parties = await self.calls.end(
                message.session_id, p, message.reason, p.role.value
            )
            if ended_parties is None:
                raise HubError(ErrorCode.NOT_IN_SESSION, "the session has already ended")
            await self._ack(conn, message.id)
            ended = SessionEnded(session_id=message.session_id, reason=message.reason, by=p.role)
            await send_all(self._kiosk_side(ended_parties), ended)
            await send_all(self._console_side(ended_parties), ended)
            self.registry.session_console.pop(message.session_id, None)

    async def _take(self, conn: Connection, message: TicketTake) -> None:
        officer = conn.principal
        await self.router.check_take(message.ticket_id, officer)
        if await transfer.take_transferred(self, conn, message):
            return
        taken = await self.calls.take(message.ticket_id, officer)
        if not self.registry.kiosk(taken.kiosk_id):
            # The kiosk went away between its last message and this take.
            await self.calls.end(taken.session_id, None, "peer_gone", "hub", False)
            await self.publish_queue()
            raise HubError(ErrorCode.NOT_FOUND, "the kiosk of this ticket is no longer connected")
        self.registry.session_console[taken.session_id] = conn
        await self._ack(conn, message.id)
        # The queue first: routing's snapshot takes a few queries, and a late one would
        # overtake the call's first signaling at the console.
        await self.publish_queue()
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
        for hook in self.after_take:
            await hook(taken.session_id)

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

    async def publish_queue(self) -> None:
        """Send the queue to every console and new positions to the kiosks whose place changed."""
        async with self._queue_lock:
            # Served order (routing rules); each officer sees the tickets of their lines.
            waiting = await self.router.served()
            for watcher in self.registry.queue_watchers():
                await watcher.send(await self.router.snapshot_for(watcher.principal, waiting))
            positions = self.registry.positions
            still_waiting = {info.ticket_id for _, info in waiting}
            for ticket_id in list(positions):
                if ticket_id not in still_waiting:
                    del positions[ticket_id]
            for place, (kiosk_id, info) in enumerate(waiting, start=1):
                if positions.get(info.ticket_id) == place:
                    continue
                positions[info.ticket_id] = place
                status = QueueStatus(
                    ticket_id=info.ticket_id, position=place, waiting_since=info.waiting_since
                )
                await send_all(self.registry.kiosk(kiosk_id), status)
