"""Calls on the hub: the websocket messages of the queue and the call, and the sessions list.

- `GET /api/v1/sessions?day=YYYY-MM-DD`: the day's sessions (an officer's own; admins all).
- `GET /api/v1/sessions/{session_id}`: one of them.
Start-up and shutdown close tickets and sessions left open (nobody is connected then).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from aiohttp import web

from backoffice_console.hub.calls.devices import DeviceRelay
from backoffice_console.hub.calls.queue_feed import QueueFeed
from backoffice_console.hub.calls.service import CALLS_KEY, Signaling
from backoffice_console.hub.calls.store import CallStore
from backoffice_console.hub.calls.transfer import Transfers
from backoffice_console.hub.catalogue import CATALOGUE_KEY
from backoffice_console.hub.core.access import allow
from backoffice_console.hub.core.caller import principal_of
from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.http import day_of, json_reply, wire
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.core.ws import MESSAGES_KEY, Disconnected, Welcomed
from shared.protocol import ErrorCode, Role
from shared.protocol.sessions import SessionList, SessionRow

log = logging.getLogger(__name__)

routes = web.RouteTableDef()


def report_scope(who: Principal) -> int | None:
    """Officers see their own sessions (their id), admins all (None); others nothing."""
    if who.role is Role.ADMIN:
        return None
    if who.role is Role.OFFICER:
        return who.subject_id
    raise HubError(ErrorCode.FORBIDDEN, "officers and administrators only")


def local_day_bounds(day: str | None) -> tuple[dt.datetime, dt.datetime]:
    """UTC bounds of a calendar day in the hub's local time zone (today by default)."""
    date = dt.datetime.now().astimezone().date() if day is None else day_of(day)
    start = dt.datetime.combine(date, dt.time.min).astimezone()
    end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time.min).astimezone()
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


async def _named(request: web.Request, row: dict[str, Any]) -> dict[str, Any]:
    """A sessions-list row with its matter's name (the code stays in `matter`)."""
    catalogue = request.app[CATALOGUE_KEY]
    return {**row, "matter_name": await catalogue.matter_name(row.get("matter"))}


@routes.get("/api/v1/sessions")
@wire(request=None, response=SessionList)
@allow(Role.OFFICER, Role.ADMIN)
async def sessions(request: web.Request) -> web.Response:
    """The sessions of a day (`?day=`, today by default)."""
    calls = request.app[CALLS_KEY].calls
    officer_id = report_scope(await principal_of(request))
    start, end = local_day_bounds(request.query.get("day"))
    rows = await calls.list_sessions(start, end, officer_id=officer_id)
    return json_reply([await _named(request, row) for row in rows])


@routes.get("/api/v1/sessions/{session_id}")
@wire(request=None, response=SessionRow)
@allow(Role.OFFICER, Role.ADMIN)
async def session_detail(request: web.Request) -> web.Response:
    """One session."""
    calls = request.app[CALLS_KEY].calls
    officer_id = report_scope(await principal_of(request))
    rows = await calls.list_sessions(
        session_id=request.match_info["session_id"], officer_id=officer_id
    )
    if not rows:
        raise HubError(ErrorCode.NOT_FOUND, "no such session")
    return json_reply(await _named(request, rows[0]))


async def _close_leftovers(app: web.Application, reason: str) -> None:
    tickets, sessions = await app[CALLS_KEY].calls.close_leftovers(reason)
    if tickets or sessions:
        log.info("closed %d stale tickets and %d stale sessions", tickets, sessions)


async def _startup(app: web.Application) -> None:
    await _close_leftovers(app, "hub_restart")


async def _shutdown(app: web.Application) -> None:
    await _close_leftovers(app, "hub_stop")


def setup(app: web.Application) -> None:
    """The calls service, its websocket messages, its events and routes."""
    core = app[CORE_KEY]
    store = CallStore(core.db, core.bus)
    feed = QueueFeed(core.registry)
    ice = core.config.ice_servers
    devices = DeviceRelay(store, core.registry, core.audit, core.bus)
    transfers = Transfers(
        db=core.db, calls=store, registry=core.registry, bus=core.bus, feed=feed, ice_servers=ice
    )
    service = Signaling(
        calls=store,
        registry=core.registry,
        bus=core.bus,
        ice_servers=ice,
        devices=devices,
        feed=feed,
        transfers=transfers,
        stopping=lambda: core.stopping,
    )
    app[CALLS_KEY] = service
    service.register(app[MESSAGES_KEY])
    core.bus.subscribe(Welcomed, service.on_welcomed)
    core.bus.subscribe(Disconnected, service.on_disconnected)
    app.add_routes(routes)
    app.on_startup.append(_startup)
    app.on_shutdown.append(_shutdown)
