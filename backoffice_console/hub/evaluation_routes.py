"""HTTP routes of ratings, follow-ups, contacts and rectifications (see `evaluation.py`).

- `POST /api/v1/sessions/{sid}/rating` (the session's kiosk) `{level, reasons, helper}`
  -> 201 `{rating_id, level, case_id, rectification}`; second -> 409 `conflict`.
- `POST /api/v1/sessions/{sid}/rating/skip` (the session's kiosk) -> the follow-up.
- `GET /api/v1/sessions/{sid}/rating` (the session's officer, supervisor, admin);
  `GET /api/v1/ratings?day=` (an officer's own sessions; supervisors and admins all).
- `POST /api/v1/cases/{case_no or id}/contact` (the case's officer) `{phone}` -> masked.
- `GET /api/v1/follow-ups`, `GET /api/v1/rectifications[?state=open]`,
  `POST /api/v1/rectifications/{id}/close` `{callback_at, callback_note}`
  (supervisors and admins).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json

from aiohttp import web

from backoffice_console.hub.api import principal_of, read_body
from backoffice_console.hub.circulation import setup_circulation
from backoffice_console.hub.db import CallSession
from backoffice_console.hub.errors import HubError
from backoffice_console.hub.evaluation import (
    EvaluationService,
    cancel_quietly,
    supervisor_check,
)
from backoffice_console.hub.services import HUB_KEY
from backoffice_console.hub.sms import FileSmsGateway
from shared.protocol import ErrorCode, Role
from shared.protocol.rating import CloseRectificationBody, ContactBody, RatingBody, SkipBody

EVALUATION_KEY = web.AppKey("evaluation", EvaluationService)
_SWEEP_KEY = web.AppKey("evaluation_sweep", asyncio.Task[None])
SWEEP_EVERY_S = 60.0

_dumps = functools.partial(json.dumps, ensure_ascii=False)


def _service(request: web.Request) -> EvaluationService:
    return request.app[EVALUATION_KEY]


def _int_id(request: web.Request, name: str, what: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError:
        raise HubError(ErrorCode.NOT_FOUND, f"no such {what}") from None


async def post_rating(request: web.Request) -> web.Response:
    """Store the session's rating."""
    service = _service(request)
    who = await principal_of(request, service.hub)
    if not who.is_kiosk:
        raise HubError(ErrorCode.FORBIDDEN, "only the session's kiosk rates it")
    body = await read_body(request, RatingBody)
    result = await service.rate(request.match_info["session_id"], who, body)
    return web.json_response(result, status=201, dumps=_dumps)


async def post_skip(request: web.Request) -> web.Response:
    """The resident left without rating: a follow-up."""
    service = _service(request)
    who = await principal_of(request, service.hub)
    if not who.is_kiosk:
        raise HubError(ErrorCode.FORBIDDEN, "only the session's kiosk reports this")
    await read_body(request, SkipBody)
    result = await service.skip(request.match_info["session_id"], who)
    return web.json_response(result, dumps=_dumps)


async def get_rating(request: web.Request) -> web.Response:
    """The session's rating, or 404."""
    service = _service(request)
    who = await principal_of(request, service.hub)
    session_id = request.match_info["session_id"]
    async with service.hub.db.session() as s:
        cs = await s.get(CallSession, session_id)
    if cs is None:
        raise HubError(ErrorCode.NOT_FOUND, "no such session")
    own = who.role is Role.OFFICER and cs.officer_id == who.subject_id
    if not (own or who.role in (Role.SUPERVISOR, Role.ADMIN)):
        raise HubError(ErrorCode.FORBIDDEN, "the session's officer, supervisors and admins only")
    rating = await service.rating_of(session_id)
    if rating is None:
        raise HubError(ErrorCode.NOT_FOUND, "this session has no rating")
    return web.json_response(rating, dumps=_dumps)


async def get_ratings(request: web.Request) -> web.Response:
    """`GET /api/v1/ratings?day=YYYY-MM-DD` (hub's local day, default today)."""
    service = _service(request)
    who = await principal_of(request, service.hub)
    text = request.query.get("day")
    try:
        day = dt.date.fromisoformat(text) if text else service.clock().astimezone().date()
    except ValueError:
        raise HubError(ErrorCode.BAD_MESSAGE, "day must be YYYY-MM-DD") from None
    start = dt.datetime.combine(day, dt.time.min).astimezone()
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min).astimezone()
    return web.json_response(await service.ratings_between(who, start, end), dumps=_dumps)


async def post_contact(request: web.Request) -> web.Response:
    """Record the case's phone number (sealed); answers it masked."""
    service = _service(request)
    who = await principal_of(request, service.hub)
    body = await read_body(request, ContactBody)
    result = await service.set_contact(request.match_info["case_ref"], who, body.phone)
    return web.json_response(result, dumps=_dumps)


async def get_follow_ups(request: web.Request) -> web.Response:
    """Recent follow-ups (after a sweep)."""
    service = _service(request)
    who = await principal_of(request, service.hub)
    return web.json_response(await service.follow_ups(who), dumps=_dumps)


async def get_rectifications(request: web.Request) -> web.Response:
    """Rectifications, open and overdue first."""
    service = _service(request)
    who = await principal_of(request, service.hub)
    rows = await service.rectifications(who, request.query.get("state") or None)
    return web.json_response(rows, dumps=_dumps)


async def post_close(request: web.Request) -> web.Response:
    """Close a rectification with its call-back."""
    service = _service(request)
    who = await principal_of(request, service.hub)
    rect_id = _int_id(request, "rect_id", "rectification")
    # Refuse a non-supervisor before looking at the body, so 403 does not depend on it.
    supervisor_check(who)
    body = await read_body(request, CloseRectificationBody)
    await service.close(rect_id, who, body)
    rows = await service.rectifications(who, None)
    return web.json_response(next(r for r in rows if r["id"] == rect_id), dumps=_dumps)


async def _start_sweep(app: web.Application) -> None:
    app[_SWEEP_KEY] = asyncio.create_task(app[EVALUATION_KEY].sweep_forever(SWEEP_EVERY_S))


async def _stop_sweep(app: web.Application) -> None:
    task = app.get(_SWEEP_KEY)
    if task is not None:
        await cancel_quietly(task)


def setup_evaluation(app: web.Application) -> None:
    """Add the evaluation service (file SMS gateway, follow-up sweep), circulation, routes."""
    hub = app[HUB_KEY]
    outbox = hub.config.config_dir / hub.config.sms_outbox
    app[EVALUATION_KEY] = EvaluationService(
        hub,
        FileSmsGateway(outbox),
        followup_after=dt.timedelta(minutes=hub.config.rating_followup_min),
    )
    router = app.router
    router.add_post("/api/v1/sessions/{session_id}/rating", post_rating)
    router.add_get("/api/v1/sessions/{session_id}/rating", get_rating)
    router.add_post("/api/v1/sessions/{session_id}/rating/skip", post_skip)
    router.add_post("/api/v1/cases/{case_ref}/contact", post_contact)
    router.add_get("/api/v1/ratings", get_ratings)
    router.add_get("/api/v1/follow-ups", get_follow_ups)
    router.add_get("/api/v1/rectifications", get_rectifications)
    router.add_post("/api/v1/rectifications/{rect_id}/close", post_close)
    setup_circulation(app)
    app.on_startup.append(_start_sweep)
    app.on_shutdown.append(_stop_sweep)
