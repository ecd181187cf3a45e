"""Circulations over HTTP (see `service.py` for the rules).

- `POST /api/v1/circulation/scan` `{code, hop, note}`: record a hand-over. A hop
  that is not the next one -> 409 `conflict` with `state` (where it is) and
  `expected` (the next hop); an unknown code -> 404. Nothing changes on a refusal.
- `GET /api/v1/circulation[?overdue=1]`: overdue first, then longest waiting.
- `GET /api/v1/circulation/{code}`: one circulation with its hops.
"""

from __future__ import annotations

from aiohttp import web

from backoffice_console.hub.cases import ProgressAsked
from backoffice_console.hub.circulation.service import (
    CIRCULATION_KEY,
    CirculationService,
    OutOfOrder,
)
from backoffice_console.hub.core.access import CASE_WORKERS, allow
from backoffice_console.hub.core.caller import principal_of
from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.core.http import json_error, json_reply, read_body, wire
from backoffice_console.hub.documents import SlipIssued
from shared.protocol import ErrorCode, Role
from shared.protocol.circulation import (
    Circulation,
    CirculationConflict,
    CirculationDetail,
    CirculationList,
    ScanBody,
)

routes = web.RouteTableDef()


@routes.post("/api/v1/circulation/scan")
@wire(request=ScanBody, response=Circulation, errors={409: CirculationConflict})
@allow(*CASE_WORKERS, Role.TECHNICIAN, Role.KIOSK)
async def post_scan(request: web.Request) -> web.Response:
    """Record a hand-over (see the module docstring)."""
    service = request.app[CIRCULATION_KEY]
    who = await principal_of(request)
    body = await read_body(request, ScanBody)
    try:
        result = await service.scan(who, body)
    except OutOfOrder as exc:
        return json_error(
            409,
            ErrorCode.CONFLICT.value,
            f"out of order: {exc.code} is {exc.state}, next is {exc.expected}",
            state=exc.state,
            expected=exc.expected,
        )
    return json_reply(result)


@routes.get("/api/v1/circulation")
@wire(request=None, response=CirculationList)
@allow(*CASE_WORKERS)
async def get_list(request: web.Request) -> web.Response:
    """Circulations under way (`?overdue=1`: only overdue ones)."""
    service = request.app[CIRCULATION_KEY]
    who = await principal_of(request)
    overdue = request.query.get("overdue", "0") in ("1", "true", "yes")
    return json_reply(await service.listing(who, overdue))


@routes.get("/api/v1/circulation/{code}")
@wire(request=None, response=CirculationDetail)
@allow(*CASE_WORKERS)
async def get_detail(request: web.Request) -> web.Response:
    """One circulation and its hops."""
    service = request.app[CIRCULATION_KEY]
    who = await principal_of(request)
    return json_reply(await service.detail(who, request.match_info["code"]))


def setup(app: web.Application) -> None:
    """The circulation service, its listeners (slips issued, progress look-ups) and routes."""
    core = app[CORE_KEY]
    service = CirculationService(core.db, core.config.circulation_hop_workdays)
    app[CIRCULATION_KEY] = service
    core.bus.subscribe(SlipIssued, service.on_slip_issued)
    # The resident's progress look-up shows where the originals are.
    core.bus.subscribe(ProgressAsked, service.on_progress_asked)
    app.add_routes(routes)
