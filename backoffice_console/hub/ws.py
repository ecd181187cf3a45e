"""`GET /ws`: the websocket every kiosk and console keeps open."""

from __future__ import annotations

import logging

from aiohttp import WSCloseCode, WSMsgType, web

from backoffice_console.hub.api import principal_of
from backoffice_console.hub.fleet import kiosk_presence
from backoffice_console.hub.registry import Connection
from backoffice_console.hub.services import HUB_KEY
from shared.protocol import MAX_MESSAGE_BYTES

log = logging.getLogger(__name__)


def add_routes(app: web.Application) -> None:
    """Register the websocket route."""

    async def websocket(request: web.Request) -> web.StreamResponse:
        hub = request.app[HUB_KEY]
        principal = await principal_of(request, hub)  # 401 before the upgrade
        socket = web.WebSocketResponse(
            heartbeat=hub.config.heartbeat_s, max_msg_size=MAX_MESSAGE_BYTES
        )
        await socket.prepare(request)
        conn = Connection(socket, principal)
        hub.websockets.add(socket)
        hub.registry.add(conn)
        log.info("%r connected", conn)
        try:
            if principal.is_kiosk:
                await hub.accounts.touch_kiosk(principal.subject_id)
                await kiosk_presence(request.app, principal.subject_id, True)
            await hub.signaling.connected(conn)
            async for msg in socket:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    await hub.signaling.handle(conn, msg.data)
                elif msg.type == WSMsgType.ERROR:
                    # Oversize frames land here; aiohttp has already closed with 1009.
                    log.info("%r: websocket error %s", conn, type(socket.exception()).__name__)
        except Exception:
            # The upgrade is done: an error response is impossible, so log and close.
            log.exception("%r: connection handler failed", conn)
            await socket.close(code=WSCloseCode.INTERNAL_ERROR)
        finally:
            hub.websockets.discard(socket)
            last = hub.registry.remove(conn)
            if last and principal.is_kiosk:
                await kiosk_presence(request.app, principal.subject_id, False)
            log.info("%r closed (code %s)", conn, socket.close_code)
            try:
                await hub.signaling.disconnected(conn, last)
            except Exception:
                log.exception("%r: clean-up after disconnect failed", conn)
        return socket

    app.router.add_get("/ws", websocket)
