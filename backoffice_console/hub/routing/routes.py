"""Routing's HTTP API and background work, wired by `setup_routing(app)`.

- `GET  /api/v1/routing/officers[?line=X]`: officers who take calls, with their
  lines, whether they are online and whether they are in a call (the console's
  transfer dialog). Officers, supervisors and admins.
- `PUT  /api/v1/routing/officers/{user_id}/lines` `{"lines": [...]}`: admins only.
- `GET  /api/v1/routing/lines`: the current catalogue's lines (empty without one).
- `GET  /api/v1/routing/sessions/{id}/targets`: for the officer holding the call: its
  line, the online, free officers qualified for it, and the lines (transfer dialog).
- A task flags overdue tickets (audited once) and republishes the queue.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from backoffice_console.hub.calls import CALLS_KEY, QueueFeed
from backoffice_console.hub.catalogue import CATALOGUE_KEY
from backoffice_console.hub.core.access import CASE_WORKERS, allow
from backoffice_console.hub.core.background import keep_running
from backoffice_console.hub.core.caller import principal_of
from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.http import id_match, json_reply, read_body, wire
from backoffice_console.hub.routing.service import ROUTING_KEY, Router, qualified
from backoffice_console.hub.routing.store import busy_officers, call_line
from shared.protocol import ErrorCode, Role
from shared.protocol.routing import LineList, LinesBody, LinesReply, OfficerList, TransferTargets

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

CALL_ROLES = (Role.OFFICER, Role.SUPERVISOR, Role.ADMIN)


@routes.get("/api/v1/routing/officers")
@wire(request=None, response=OfficerList)
@allow(*CASE_WORKERS)
async def officers(request: web.Request) -> web.Response:
    """Officers with lines, online and busy flags; `?line=` keeps those qualified for it."""
    core, router = request.app[CORE_KEY], request.app[ROUTING_KEY]
    who = await principal_of(request)
    if who.role not in CALL_ROLES:
        raise HubError(ErrorCode.FORBIDDEN, "officers only")
    line = request.query.get("line") or None
    busy = await busy_officers(core.db)
    rows = [
        {
            **row,
            "online": any(c.open for c in core.registry.user(row["id"])),
            "busy": row["id"] in busy,
        }
        for row in await router.officers()
        if line is None or qualified(row["lines"], line)
    ]
    return json_reply(rows)


@routes.put("/api/v1/routing/officers/{user_id}/lines")
@wire(request=LinesBody, response=LinesReply)
@allow(Role.ADMIN)
async def set_lines(request: web.Request) -> web.Response:
    """An admin sets the lines an officer is qualified for."""
    router = request.app[ROUTING_KEY]
    who = await principal_of(request)
    if who.role is not Role.ADMIN:
        raise HubError(ErrorCode.FORBIDDEN, "administrators only")
    user_id = id_match(request, "user_id", "user")
    body = await read_body(request, LinesBody)
    lines = await router.set_lines(who, user_id, body.lines)
    await request.app[CALLS_KEY].feed.publish()  # their snapshot changes at once
    return json_reply({"user_id": user_id, "lines": lines})


@routes.get("/api/v1/routing/lines")
@wire(request=None, response=LineList)
@allow(Role.OFFICER, Role.SUPERVISOR, Role.TECHNICIAN, Role.ADMIN, Role.KIOSK)
async def lines(request: web.Request) -> web.Response:
    """The current catalogue's lines (code, name, name_en)."""
    router = request.app[ROUTING_KEY]
    await principal_of(request)
    catalogue = await router.catalogue.current()
    data = [line.model_dump(mode="json") for line in catalogue.lines]
    return json_reply(data)


@routes.get("/api/v1/routing/sessions/{session_id}/targets")
@wire(request=None, response=TransferTargets)
@allow(*CASE_WORKERS)
async def transfer_targets(request: web.Request) -> web.Response:
    """For the officer holding a call: its line, who could take it now, and the lines."""
    core, router = request.app[CORE_KEY], request.app[ROUTING_KEY]
    who = await principal_of(request)
    if who.role not in CALL_ROLES:
        raise HubError(ErrorCode.FORBIDDEN, "officers only")
    session_id = request.match_info["session_id"]
    await request.app[CALLS_KEY].calls.holder_check(session_id, who)
    line = await call_line(core.db, session_id)
    busy = await busy_officers(core.db)
    officers = [
        {"id": row["id"], "display_name": row["display_name"], "lines": row["lines"]}
        for row in await router.officers()
        if row["id"] != who.subject_id
        and row["id"] not in busy
        and any(c.open for c in core.registry.user(row["id"]))
        and qualified(row["lines"], line)
    ]
    catalogue = await router.catalogue.current()
    lines = [ln.model_dump(mode="json") for ln in catalogue.lines]
    return json_reply({"line": line, "officers": officers, "lines": lines})


async def _watch_overdue(router: Router, feed: QueueFeed) -> None:
    while True:
        # Often enough that a flag is at most a fraction of the threshold late.
        await asyncio.sleep(min(max(router.overdue_after_s / 4, 0.1), 1.0))
        try:
            if await router.flag_overdue():
                await feed.publish()
        except Exception as exc:  # e.g. before the start-up migration ran; try again later
            log.warning("overdue check failed: %s", type(exc).__name__)


def setup(app: web.Application) -> None:
    """Routing on the hub: the rules as calls' queue policy, the routes, the overdue watcher."""
    core = app[CORE_KEY]
    calls = app[CALLS_KEY]
    router = Router(
        core.db,
        calls.calls,
        app[CATALOGUE_KEY],
        priority_ratio=core.config.priority_ratio,
        overdue_after_s=core.config.overdue_after_s,
    )
    app[ROUTING_KEY] = router
    calls.feed.use_policy(router)
    app.add_routes(routes)
    keep_running(app, "overdue", lambda: _watch_overdue(router, calls.feed))
