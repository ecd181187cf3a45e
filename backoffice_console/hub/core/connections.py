"""Live websocket connections of one hub instance, kept in memory.

Several hub instances would put this behind a shared bus (PostgreSQL
LISTEN/NOTIFY or Redis); the rest of the hub only talks to this small class.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable

from aiohttp import web
from pydantic import BaseModel

from backoffice_console.hub.core.principal import Principal
from shared.protocol import Ack, Role, encode

log = logging.getLogger(__name__)

QUEUE_WATCHERS = (Role.OFFICER, Role.ADMIN)


class Connection:
    """One open websocket and who is on the other end."""

    _ids = itertools.count(1)

    def __init__(self, ws: web.WebSocketResponse, principal: Principal) -> None:
        self.ws = ws
        self.principal = principal
        self.id = next(self._ids)

    @property
    def open(self) -> bool:
        """Whether messages can still be sent."""
        return not self.ws.closed

    async def send(self, message: BaseModel) -> bool:
        """Send a message; a connection that died meanwhile is logged, never raised."""
        if self.ws.closed:
            return False
        try:
            await self.ws.send_str(encode(message))
        except (ConnectionError, RuntimeError) as exc:
            log.info("conn %d: send failed (%s)", self.id, type(exc).__name__)
            return False
        return True

    async def close(self, code: int, reason: str) -> None:
        """Close the socket with a close code and short reason the client acts on."""
        if not self.ws.closed:
            await self.ws.close(code=code, message=reason.encode()[:120])

    def __repr__(self) -> str:
        return f"<conn {self.id} {self.principal.role.value}:{self.principal.subject_id}>"


def _key(principal: Principal) -> tuple[bool, int]:
    return (principal.is_kiosk, principal.subject_id)


class Registry:
    """Open connections by subject, plus the queue positions last told to each kiosk."""

    def __init__(self) -> None:
        self._by_subject: dict[tuple[bool, int], list[Connection]] = {}
        self.positions: dict[int, int] = {}
        """ticket id -> the position last sent in a `QueueStatus`."""
        self.session_console: dict[str, Connection] = {}
        """session id -> the console connection that took the ticket (gets the signaling)."""

    def add(self, conn: Connection) -> None:
        """Register a new connection."""
        self._by_subject.setdefault(_key(conn.principal), []).append(conn)

    def remove(self, conn: Connection) -> bool:
        """Forget a connection; True when it was its subject's last one."""
        key = _key(conn.principal)
        conns = self._by_subject.get(key, [])
        if conn in conns:
            conns.remove(conn)
        for session_id, held in list(self.session_console.items()):
            if held is conn:
                del self.session_console[session_id]
        if conns:
            return False
        self._by_subject.pop(key, None)
        return True

    def kiosk(self, kiosk_id: int) -> list[Connection]:
        """Open connections of a kiosk."""
        return list(self._by_subject.get((True, kiosk_id), []))

    def user(self, user_id: int) -> list[Connection]:
        """Open connections of a user."""
        return list(self._by_subject.get((False, user_id), []))

    def console_for(self, session_id: str, officer_id: int) -> list[Connection]:
        """Where an officer's side of a session goes: the taking console, else all theirs."""
        held = self.session_console.get(session_id)
        if held is not None and held.open:
            return [held]
        return self.user(officer_id)

    def queue_watchers(self) -> list[Connection]:
        """Connections that see the queue (officers and admins)."""
        return [c for c in self.all() if c.principal.role in QUEUE_WATCHERS]

    def all(self) -> list[Connection]:
        """Every open connection."""
        return [c for conns in self._by_subject.values() for c in conns]

    def __len__(self) -> int:
        return sum(len(c) for c in self._by_subject.values())


async def send_all(conns: Iterable[Connection], message: BaseModel) -> int:
    """Send one message to several connections; returns how many took it."""
    sent = 0
    for conn in conns:
        sent += await conn.send(message)
    return sent


async def ack(conn: Connection, request_id: str | None) -> None:
    """Acknowledge a client request (`ack` with its id); requests without an id get none."""
    if request_id is not None:
        await conn.send(Ack(re=request_id))
