"""`GET /ws`: the websocket every kiosk and console keeps open.

The endpoint authenticates before the upgrade, publishes `Connected`, greets the
client (`welcome`), only then adds it to the live registry (so no broadcast overtakes the
welcome), publishes `Welcomed`, then hands each message to the domain that registered
its type (`MessageRoutes.register`), after checking the sender's role. A
refused or failing message gets an `ErrorReply`; nothing a client sends closes
another client's connection or the hub. When the socket closes it publishes
`Disconnected` (with whether it was its subject's last connection).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from pydantic import BaseModel

from backoffice_console.hub.core.access import SIGNED_IN, allow
from backoffice_console.hub.core.caller import principal_of
from backoffice_console.hub.core.connections import Connection
from backoffice_console.hub.core.context import CORE_KEY, HubCore
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.guard import still_holds
from backoffice_console.hub.core.http import Upgrade, incident_id, wire
from backoffice_console.hub.db import utcnow
from shared.protocol import (
    MAX_MESSAGE_BYTES,
    ErrorCode,
    ErrorReply,
    ProtocolError,
    Role,
    Welcome,
    decode_client_message,
)

log = logging.getLogger(__name__)

MessageHandler = Callable[[Connection, Any], Awaitable[None]]


@dataclass(frozen=True)
class Connected:
    """A client's websocket is open, before its greeting (presence is recorded here)."""

    conn: Connection


@dataclass(frozen=True)
class Welcomed:
    """A client has been greeted; what it should see first follows (a console's queue)."""

    conn: Connection


@dataclass(frozen=True)
class MessageRefused:
    """A client's message got an `error` reply (`code`: the error code sent); announced."""

    conn: Connection
    code: str


@dataclass(frozen=True)
class Disconnected:
    """A client's websocket closed; `last`: it was its subject's last open connection."""

    conn: Connection
    last: bool


class MessageRoutes:
    """Which domain handles which client message type, and for which roles."""

    def __init__(self) -> None:
        self._routes: dict[type[BaseModel], tuple[frozenset[Role], MessageHandler]] = {}

    def register(
        self, kinds: Iterable[type[BaseModel]], roles: Iterable[Role], handler: MessageHandler
    ) -> None:
        """Hand messages of `kinds` from `roles` to `handler(conn, message)`."""
        allowed = frozenset(roles)
        for kind in kinds:
            if kind in self._routes:
                raise ValueError(f"{kind.__name__} already has a handler")
            self._routes[kind] = (allowed, handler)

    def route(self, role: Role, message: BaseModel) -> MessageHandler:
        """The handler for `message` from `role`; HubError forbidden when there is none."""
        found = self._routes.get(type(message))
        if found is None or role not in found[0]:
            kind = getattr(message, "type", type(message).__name__)
            raise HubError(ErrorCode.FORBIDDEN, f"{kind} is not allowed for this role")
        return found[1]

    def kinds(self) -> list[type[BaseModel]]:
        """Every message type with a handler."""
        return list(self._routes)


MESSAGES_KEY = web.AppKey("ws_messages", MessageRoutes)


async def handle_message(core: HubCore, routes: MessageRoutes, conn: Connection, data: Any) -> None:
    """Decode, authorise and carry out one client message; reply on error.

    The sender's log-in is re-checked first: a message of an ended log-in closes its
    socket instead of being carried out. Then the boundary of every message handler:
    whatever goes wrong becomes one `error` reply (an unexpected exception: `internal`,
    logged once with an incident reference the reply carries) and the connection stays open.
    """
    request_id: str | None = None
    try:
        if not await still_holds(core, conn):
            return
        try:
            message = decode_client_message(data)
        except ProtocolError as exc:
            request_id = exc.request_id
            raise HubError(exc.code, exc.message) from None
        request_id = message.id
        handler = routes.route(conn.principal.role, message)
        await handler(conn, message)
    except HubError as exc:
        log.info("%r: refused (%s)", conn, exc.code.value)
        await conn.send(ErrorReply(re=request_id, code=exc.code, message=exc.message[:200]))
        await core.bus.announce(MessageRefused(conn, exc.code.value))
    except Exception:
        incident = incident_id()
        log.exception("%r: message handling failed (incident %s)", conn, incident)
        reply = f"internal error (incident {incident})"
        await conn.send(ErrorReply(re=request_id, code=ErrorCode.INTERNAL, message=reply))
        await core.bus.announce(MessageRefused(conn, ErrorCode.INTERNAL.value))


async def _greet(core: HubCore, conn: Connection) -> bool:
    """Presence, then `welcome`, then the registry: nothing is broadcast to a client before
    its welcome. False when the client went away meanwhile."""
    await core.bus.publish(Connected(conn))
    principal = conn.principal
    greeted = await conn.send(
        Welcome(
            role=principal.role,
            subject_id=principal.subject_id,
            display_name=principal.display_name[:200],
            server_time=utcnow(),
        )
    )
    core.registry.add(conn)  # even when gone: Disconnected below takes it out again
    if greeted:
        await core.bus.publish(Welcomed(conn))
    return greeted


@wire(request=None, response=Upgrade("websocket"))
@allow(SIGNED_IN)
async def websocket(request: web.Request) -> web.StreamResponse:
    """The websocket endpoint (see the module docstring)."""
    core = request.app[CORE_KEY]
    routes = request.app[MESSAGES_KEY]
    principal = await principal_of(request)  # 401 before the upgrade
    socket = web.WebSocketResponse(
        heartbeat=core.config.heartbeat_s, max_msg_size=MAX_MESSAGE_BYTES
    )
    try:
        await socket.prepare(request)
    except ConnectionError as exc:
        log.debug("%s: client went away during the upgrade (%s)", principal.role.value,
                  type(exc).__name__)  # fmt: skip
        return socket
    conn = Connection(socket, principal)
    core.websockets.add(socket)
    log.info("%r connected", conn)
    try:
        if await _greet(core, conn):
            async for msg in socket:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    await handle_message(core, routes, conn, msg.data)
                elif msg.type == WSMsgType.ERROR:
                    # Oversize frames land here; aiohttp has already closed with 1009.
                    log.info("%r: websocket error %s", conn, type(socket.exception()).__name__)
    except ConnectionError as exc:
        log.debug("%r: client went away (%s)", conn, type(exc).__name__)
    except Exception:
        # Only the greeting can get here (each message has its own boundary): the upgrade
        # is done, so an error response is impossible; log and close.
        incident = incident_id()
        log.exception("%r: connection handler failed (incident %s)", conn, incident)
        await socket.close(code=WSCloseCode.INTERNAL_ERROR)
    finally:
        core.websockets.discard(socket)
        last = core.registry.remove(conn)
        log.info("%r closed (code %s)", conn, socket.close_code)
        await core.bus.announce(Disconnected(conn, last))
    return socket


def setup(app: web.Application) -> None:
    """Add the websocket route and its (empty) message table."""
    app[MESSAGES_KEY] = MessageRoutes()
    app.router.add_get("/ws", websocket)
