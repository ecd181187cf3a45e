"""The core's own routes and lifecycle: health, the audit query, the websocket, start and stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import WSCloseCode, web

from backoffice_console.hub.core import ws
from backoffice_console.hub.core.access import PUBLIC, access_middleware, allow
from backoffice_console.hub.core.audit_query import page_bounds, parse_filter
from backoffice_console.hub.core.background import keep_running
from backoffice_console.hub.core.caller import anonymous_limit_middleware, principal_of
from backoffice_console.hub.core.config import HubConfig
from backoffice_console.hub.core.context import CORE_KEY, HubCore
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.guard import keep_checking
from backoffice_console.hub.core.http import (
    Raw,
    contract_middleware,
    error_middleware,
    json_reply,
    wire,
)
from backoffice_console.hub.db import utcnow
from shared.protocol import ErrorCode, Role
from shared.protocol.http import HubHealth
from shared.protocol.sessions import AuditPage

log = logging.getLogger(__name__)

routes = web.RouteTableDef()


@routes.get("/api/v1/health")
@wire(request=None, response=HubHealth)
@allow(PUBLIC)
async def health(request: web.Request) -> web.Response:
    """Whether the hub answers, its version and its clock."""
    core = request.app[CORE_KEY]
    return json_reply({"ok": True, "version": core.version, "time": utcnow().isoformat()})


AUDIT_READERS = frozenset({Role.AUDITOR})
"""Who may read the audit log: auditors only (separation of duties: not the administrators
whose work it records)."""


@routes.get("/api/v1/audit")
@wire(request=None, response=AuditPage, alternative=Raw("text/csv"))
@allow(Role.AUDITOR)
async def audit(request: web.Request) -> web.Response:
    """The audit log, newest first, paged and filtered (see `AuditPage`); every read is audited."""
    core = request.app[CORE_KEY]
    who = await principal_of(request)
    if who.role not in AUDIT_READERS:
        raise HubError(ErrorCode.FORBIDDEN, "the audit log is for auditors")
    flt = parse_filter(request.query)
    fmt = request.query.get("format", "json")
    if fmt == "csv":
        return web.Response(
            body=await core.audit.export(who, flt),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
        )
    if fmt != "json":
        raise HubError(ErrorCode.BAD_MESSAGE, "format must be json or csv")
    before, limit = page_bounds(request.query)
    return json_reply(await core.audit.page(who, flt, before, limit))


async def _no_server_version(_request: web.Request, response: web.StreamResponse) -> None:
    """Name no software or version in `Server` (aiohttp would say Python and aiohttp's)."""
    response.headers["Server"] = "vw-hub"


async def _migrate(app: web.Application) -> None:
    await app[CORE_KEY].db.migrate()


async def _close_sockets(app: web.Application) -> None:
    core = app[CORE_KEY]
    core.stopping = True
    closing = [
        socket.close(code=WSCloseCode.GOING_AWAY, message=b"hub shutting down")
        for socket in list(core.websockets)
    ]
    # In parallel and bounded: a client that never answers the close must not hold us up.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*closing, return_exceptions=True), 5.0)


async def _dispose(app: web.Application) -> None:
    await app[CORE_KEY].db.dispose()


def setup(app: web.Application, config: HubConfig) -> HubCore:
    """Put the core on `app`: before any domain, so its start-up (migrations) runs first."""
    core = HubCore.create(config)
    app[CORE_KEY] = core
    if config.check_replies:  # outermost: it sees the errors error_middleware makes
        app.middlewares.append(contract_middleware)
    app.middlewares.append(error_middleware)
    app.middlewares.append(anonymous_limit_middleware)  # inside: its 429 is an ordinary error
    app.middlewares.append(access_middleware)  # inside: its refusals become JSON errors
    app.add_routes(routes)
    app.on_response_prepare.append(_no_server_version)
    ws.setup(app)
    app.on_startup.append(_migrate)
    keep_running(app, "login-guard", lambda: keep_checking(core))
    app.on_shutdown.append(_close_sockets)
    app.on_cleanup.append(_dispose)
    return core
