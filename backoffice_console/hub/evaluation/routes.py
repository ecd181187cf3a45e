"""HTTP routes of ratings, follow-ups, contacts and rectifications (see `service.py`).

- `POST /api/v1/sessions/{sid}/rating` (the session's kiosk) `{level, reasons, helper}`
  -> 201 `{rating_id, level, case_id, rectification}`; second -> 409 `conflict`.
- `POST /api/v1/sessions/{sid}/rating/skip` (the session's kiosk) -> the follow-up.
- `GET /api/v1/sessions/{sid}/rating` (the session's officer, supervisor, admin);
  `GET /api/v1/ratings?day=` (an officer's own sessions; supervisors and admins all).
- `POST /api/v1/cases/{case_no or id}/contact` (the case's officer) `{phone}` -> masked.
- `GET /api/v1/follow-ups`, `GET /api/v1/rectifications[?state=open]`,
  `POST /api/v1/rectifications/{id}/close` `{callback_at, callback_note}`
  (supervisors and admins).
The follow-up sweep runs every `SWEEP_EVERY_S` seconds from start-up to shutdown.
"""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from backoffice_console.hub.core.access import CASE_WORKERS, allow
from backoffice_console.hub.core.background import keep_running
from backoffice_console.hub.core.caller import principal_of
from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.http import day_of, id_match, json_reply, read_body, wire
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.evaluation.service import (
    EVALUATION_KEY,
    EvaluationService,
    supervisor_check,
)
from backoffice_console.hub.evaluation.sms import FileSmsGateway
from shared.protocol import ErrorCode, Role
from shared.protocol.rating import (
    CloseRectificationBody,
    ContactBody,
    ContactRecorded,
    FollowUp,
    FollowUpList,
    RatingBody,
    RatingGiven,
    RatingList,
    Rectification,
    RectificationList,
    SessionRating,
    SkipBody,
)

SWEEP_EVERY_S = 60.0

routes = web.RouteTableDef()


def _service(request: web.Request) -> EvaluationService:
    return request.app[EVALUATION_KEY]


@routes.post("/api/v1/sessions/{session_id}/rating")
@wire(request=RatingBody, response=RatingGiven)
@allow(Role.KIOSK)
async def post_rating(request: web.Request) -> web.Response:
    """Store the session's rating."""
    service = _service(request)
    who = await principal_of(request)
    if not who.is_kiosk:
        raise HubError(ErrorCode.FORBIDDEN, "only the session's kiosk rates it")
    body = await read_body(request, RatingBody)
    result = await service.rate(request.match_info["session_id"], who, body)
    return json_reply(result, status=201)


async def _audit(request: web.Request, who: Principal, action: str, **detail: object) -> None:
    """Reads of residents' ratings and follow-ups are audited like every personal-data read."""
    await request.app[CORE_KEY].audit.write(who, action, None, **detail)


@routes.get("/api/v1/sessions/{session_id}/rating")
@wire(request=None, response=SessionRating)
@allow(*CASE_WORKERS, Role.KIOSK)
async def get_rating(request: web.Request) -> web.Response:
    """The session's rating, or 404."""
    service = _service(request)
    who = await principal_of(request)
    session_id = request.match_info["session_id"]
    rating = await service.rating_seen_by(who, session_id)
    await request.app[CORE_KEY].audit.write(who, "rating.read", session_id)
    return json_reply(rating)


@routes.post("/api/v1/sessions/{session_id}/rating/skip")
@wire(request=SkipBody, response=FollowUp)
@allow(Role.KIOSK)
async def post_skip(request: web.Request) -> web.Response:
    """The resident left without rating: a follow-up."""
    service = _service(request)
    who = await principal_of(request)
    if not who.is_kiosk:
        raise HubError(ErrorCode.FORBIDDEN, "only the session's kiosk reports this")
    await read_body(request, SkipBody)
    result = await service.skip(request.match_info["session_id"], who)
    return json_reply(result)


@routes.post("/api/v1/cases/{case_ref}/contact")
@wire(request=ContactBody, response=ContactRecorded)
@allow(*CASE_WORKERS)
async def post_contact(request: web.Request) -> web.Response:
    """Record the case's phone number (sealed); answers it masked."""
    service = _service(request)
    who = await principal_of(request)
    body = await read_body(request, ContactBody)
    result = await service.set_contact(request.match_info["case_ref"], who, body.phone)
    return json_reply(result)


@routes.get("/api/v1/ratings")
@wire(request=None, response=RatingList)
@allow(*CASE_WORKERS)
async def get_ratings(request: web.Request) -> web.Response:
    """`GET /api/v1/ratings?day=YYYY-MM-DD` (hub's local day, default today)."""
    service = _service(request)
    who = await principal_of(request)
    text = request.query.get("day")
    day = day_of(text) if text else service.clock().astimezone().date()
    start = dt.datetime.combine(day, dt.time.min).astimezone()
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min).astimezone()
    rows = await service.ratings_between(who, start, end)
    await _audit(request, who, "rating.list", day=day.isoformat(), count=len(rows))
    return json_reply(rows)


@routes.get("/api/v1/follow-ups")
@wire(request=None, response=FollowUpList)
@allow(Role.SUPERVISOR, Role.ADMIN)
async def get_follow_ups(request: web.Request) -> web.Response:
    """Recent follow-ups (after a sweep)."""
    service = _service(request)
    who = await principal_of(request)
    rows = await service.follow_ups(who)
    await _audit(request, who, "followup.list", count=len(rows))
    return json_reply(rows)


@routes.get("/api/v1/rectifications")
@wire(request=None, response=RectificationList)
@allow(Role.SUPERVISOR, Role.ADMIN)
async def get_rectifications(request: web.Request) -> web.Response:
    """Rectifications, open and overdue first."""
    service = _service(request)
    who = await principal_of(request)
    state = request.query.get("state") or None
    rows = await service.rectifications(who, state)
    await _audit(request, who, "rectification.list", state=state, count=len(rows))
    return json_reply(rows)


@routes.post("/api/v1/rectifications/{rect_id}/close")
@wire(request=CloseRectificationBody, response=Rectification)
@allow(Role.SUPERVISOR, Role.ADMIN)
async def post_close(request: web.Request) -> web.Response:
    """Close a rectification with its call-back."""
    service = _service(request)
    who = await principal_of(request)
    rect_id = id_match(request, "rect_id", "rectification")
    # Refuse a non-supervisor before looking at the body, so 403 does not depend on it.
    supervisor_check(who)
    body = await read_body(request, CloseRectificationBody)
    await service.close(rect_id, who, body)
    rows = await service.rectifications(who, None)
    return json_reply(next(r for r in rows if r["id"] == rect_id))


def setup(app: web.Application) -> None:
    """The evaluation service (file SMS gateway), its routes and the follow-up sweep."""
    core = app[CORE_KEY]
    config = core.config
    service = EvaluationService(
        db=core.db,
        vault=core.vault,
        sms=FileSmsGateway(config.sms_outbox),
        followup_after=dt.timedelta(minutes=config.rating_followup_min),
    )
    app[EVALUATION_KEY] = service
    app.add_routes(routes)
    keep_running(app, "follow-up sweep", lambda: service.sweep_forever(SWEEP_EVERY_S))
