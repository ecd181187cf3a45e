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
import contextlib
import logging

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from backoffice_console.hub import api
from backoffice_console.hub.db import CallSession, Ticket
from backoffice_console.hub.errors import HubError
from backoffice_console.hub.routing import qualified
from backoffice_console.hub.services import HUB_KEY, Hub
from shared.protocol import ErrorCode, Role

log = logging.getLogger(__name__)

OVERDUE_TASK_KEY = web.AppKey("routing_overdue_task", asyncio.Task[None])
CALL_ROLES = (Role.OFFICER, Role.SUPERVISOR, Role.ADMIN)


class LinesBody(BaseModel):
    """`PUT /api/v1/routing/officers/{user_id}/lines`."""

    model_config = ConfigDict(extra="forbid")

    lines: list[str] = Field(min_length=1, max_length=100)


async def _busy_officers(hub: Hub) -> set[int]:
    async with hub.db.session() as s:
        rows = await s.scalars(select(CallSession.officer_id).where(CallSession.ended_at.is_(None)))
        return set(rows)


async def officers(request: web.Request) -> web.Response:
    """Officers with lines, online and busy flags; `?line=` keeps those qualified for it."""
    hub = request.app[HUB_KEY]
    who = await api.principal_of(request, hub)
    if who.role not in CALL_ROLES:
        raise HubError(ErrorCode.FORBIDDEN, "officers only")
    line = request.query.get("line") or None
    busy = await _busy_officers(hub)
    rows = [
        {
            **row,
            "online": any(c.open for c in hub.registry.user(row["id"])),
            "busy": row["id"] in busy,
        }
        for row in await hub.signaling.router.officers()
        if line is None or qualified(row["lines"], line)
    ]
    return web.json_response(dumps=api._dumps, data=rows)


async def set_lines(request: web.Request) -> web.Response:
    """An admin sets the lines an officer is qualified for."""
    hub = request.app[HUB_KEY]
    who = await api.principal_of(request, hub)
    if who.role is not Role.ADMIN:
        raise HubError(ErrorCode.FORBIDDEN, "administrators only")
    try:
        user_id = int(request.match_info["user_id"])
    except ValueError:
        raise HubError(ErrorCode.BAD_MESSAGE, "user id must be a number") from None
    body = await api.read_body(request, LinesBody)
    lines = await hub.signaling.router.set_lines(who, user_id, body.lines)
    await hub.signaling.publish_queue()  # their snapshot changes at once
    return web.json_response(dumps=api._dumps, data={"user_id": user_id, "lines": lines})


async def lines(request: web.Request) -> web.Response:
    """The current catalogue's lines (code, name, name_en)."""
    hub = request.app[HUB_KEY]
    await api.principal_of(request, hub)
    catalogue = await hub.signaling.router.catalogue.current()
    data = [line.model_dump(mode="json") for line in catalogue.lines]
    return web.json_response(dumps=api._dumps, data=data)


async def transfer_targets(request: web.Request) -> web.Response:
    """For the officer holding a call: its line, who could take it now, and the lines."""
    hub = request.app[HUB_KEY]
    who = await api.principal_of(request, hub)
    if who.role not in CALL_ROLES:
        raise HubError(ErrorCode.FORBIDDEN, "officers only")
    session_id = request.match_info["session_id"]
    await hub.calls.holder_check(session_id, who)
    line = await call_line(hub, session_id)
    busy = await _busy_officers(hub)
    officers = [
        {"id": row["id"], "display_name": row["display_name"], "lines": row["lines"]}
        for row in await hub.signaling.router.officers()
        if row["id"] != who.subject_id
        and row["id"] not in busy
        and any(c.open for c in hub.registry.user(row["id"]))
        and qualified(row["lines"], line)
    ]
    catalogue = await hub.signaling.router.catalogue.current()
    lines = [ln.model_dump(mode="json") for ln in catalogue.lines]
    return web.json_response(
        dumps=api._dumps, data={"line": line, "officers": officers, "lines": lines}
    )


async def call_line(hub: Hub, session_id: str) -> str | None:
    """The line of a live call: of its latest transfer ticket, else of the ticket that opened it."""
    async with hub.db.session() as s:
        cs = await s.get(CallSession, session_id)
        if cs is None:
            raise HubError(ErrorCode.NOT_FOUND, "no such session")
        latest = await s.scalar(
            select(Ticket.line)
            .where(Ticket.transfer_session_id == session_id)
            .order_by(Ticket.id.desc())
            .limit(1)
        )
        if latest is not None:
            return str(latest)
        return await s.scalar(select(Ticket.line).where(Ticket.id == cs.ticket_id))


async def _watch_overdue(hub: Hub) -> None:
    router = hub.signaling.router
    while True:
        # Often enough that a flag is at most a fraction of the threshold late.
        await asyncio.sleep(min(max(router.overdue_after_s / 4, 0.1), 1.0))
        try:
            if await router.flag_overdue():
                await hub.signaling.publish_queue()
        except Exception as exc:  # e.g. before the start-up migration ran; try again later
            log.warning("overdue check failed: %s", type(exc).__name__)


async def _start(app: web.Application) -> None:
    app[OVERDUE_TASK_KEY] = asyncio.create_task(_watch_overdue(app[HUB_KEY]), name="overdue")


async def _stop(app: web.Application) -> None:
    task = app.get(OVERDUE_TASK_KEY)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def setup_routing(app: web.Application) -> None:
    """Routes and the overdue watcher of the routing area."""
    app.router.add_get("/api/v1/routing/officers", officers)
    app.router.add_put("/api/v1/routing/officers/{user_id}/lines", set_lines)
    app.router.add_get("/api/v1/routing/lines", lines)
    app.router.add_get("/api/v1/routing/sessions/{session_id}/targets", transfer_targets)
    app.on_startup.append(_start)
    app.on_shutdown.append(_stop)
