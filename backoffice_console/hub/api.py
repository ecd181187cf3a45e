"""The HTTP API (`/api/v1/...`): JSON in, JSON out, errors as `{"code", "message"}`."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backoffice_console.hub.accounts import Principal
from backoffice_console.hub.db import utcnow
from backoffice_console.hub.errors import HubError, Unauthorized
from backoffice_console.hub.services import HUB_KEY, Hub
from shared.protocol import ErrorCode, Role

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BodyT = TypeVar("BodyT", bound=BaseModel)

# Chinese names stay readable in responses (and in a technician's curl output).
_dumps = functools.partial(json.dumps, ensure_ascii=False)

_STATUS_CODES = {400: "bad_message", 403: "forbidden", 404: "not_found", 405: "bad_message"}


def json_error(status: int, code: str, message: str) -> web.Response:
    """An error response in the API's shape."""
    return web.json_response(dumps=_dumps, data={"code": code, "message": message}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every failure into a JSON error; nothing a client sends takes the hub down."""
    try:
        return await handler(request)
    except HubError as exc:
        return json_error(exc.http_status, exc.code.value, exc.message)
    except Unauthorized as exc:
        return json_error(401, "unauthorized", exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _STATUS_CODES.get(exc.status, "too_large" if exc.status == 413 else "error")
        return json_error(exc.status, code, exc.reason)
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return json_error(500, ErrorCode.INTERNAL.value, "internal error")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginBody(_Body):
    """`POST /api/v1/auth/login`."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class EnrollBody(_Body):
    """`POST /api/v1/devices/enroll`."""

    code: str = Field(min_length=4, max_length=32)
    name: str = Field(min_length=1, max_length=200)


class DeviceTokenBody(_Body):
    """`POST /api/v1/devices/token`."""

    device_id: int = Field(ge=1)
    secret: str = Field(min_length=1, max_length=200)


async def read_body(request: web.Request, model: type[BodyT]) -> BodyT:
    """The request's JSON body validated as `model`; HubError bad_json / bad_message."""
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise HubError(ErrorCode.BAD_JSON, "request body is not valid JSON") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise HubError(ErrorCode.BAD_MESSAGE, f"{where}: {first['msg']}"[:200]) from None


async def principal_of(request: web.Request, hub: Hub) -> Principal:
    """The caller behind `Authorization: Bearer <token>`; raises `Unauthorized`."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token")
    return await hub.accounts.resolve(token.strip())


def _iso(value: dt.datetime) -> str:
    return value.isoformat()


def _local_day_bounds(day: str | None) -> tuple[dt.datetime, dt.datetime]:
    """UTC bounds of a calendar day in the hub's local time zone (today by default)."""
    if day is None:
        date = dt.datetime.now().astimezone().date()
    else:
        try:
            date = dt.date.fromisoformat(day)
        except ValueError:
            raise HubError(ErrorCode.BAD_MESSAGE, "day must be YYYY-MM-DD") from None
    start = dt.datetime.combine(date, dt.time.min).astimezone()
    end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time.min).astimezone()
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


async def health(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    return web.json_response(
        dumps=_dumps, data={"ok": True, "version": hub.version, "time": _iso(utcnow())}
    )


async def login(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    body = await read_body(request, LoginBody)
    user_key, ip_key = f"user:{body.username}", f"ip:{request.remote}"
    if hub.login_limiter.blocked(user_key) or hub.ip_limiter.blocked(ip_key):
        raise HubError(ErrorCode.RATE_LIMITED, "too many failed logins; try again later")
    try:
        token, user = await hub.accounts.login(body.username, body.password)
    except Unauthorized:
        hub.login_limiter.failed(user_key)
        hub.ip_limiter.failed(ip_key)
        log.info("failed login from %s", request.remote)
        raise
    hub.login_limiter.reset(user_key)
    return web.json_response(
        dumps=_dumps,
        data={
            "token": token.token,
            "expires_at": _iso(token.expires_at),
            "user": {
                "id": user.id,
                "username": user.username,
                "display_name": user.display_name,
                "role": user.role,
            },
        },
    )


async def enroll(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    body = await read_body(request, EnrollBody)
    ip_key = f"enroll:{request.remote}"
    if hub.ip_limiter.blocked(ip_key):
        raise HubError(ErrorCode.RATE_LIMITED, "too many failed enrolments; try again later")
    try:
        done = await hub.accounts.enroll(body.code, body.name)
    except Unauthorized:
        hub.ip_limiter.failed(ip_key)
        raise
    log.info("kiosk %d enrolled at point %d", done.device_id, done.point_id)
    return web.json_response(
        dumps=_dumps,
        data={
            "device_id": done.device_id,
            "secret": done.secret,
            "point": {"id": done.point_id, "name": done.point_name},
        },
    )


async def device_token(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    body = await read_body(request, DeviceTokenBody)
    ip_key = f"device:{request.remote}"
    if hub.ip_limiter.blocked(ip_key):
        raise HubError(ErrorCode.RATE_LIMITED, "too many failed device logins; try later")
    try:
        token = await hub.accounts.device_token(body.device_id, body.secret)
    except Unauthorized:
        hub.ip_limiter.failed(ip_key)
        raise
    return web.json_response(
        dumps=_dumps, data={"token": token.token, "expires_at": _iso(token.expires_at)}
    )


async def sessions(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    who = await principal_of(request, hub)
    officer_id = _report_scope(who)
    start, end = _local_day_bounds(request.query.get("day"))
    rows = await hub.calls.list_sessions(start, end, officer_id=officer_id)
    return web.json_response(dumps=_dumps, data=[await _named(hub, row) for row in rows])


async def _named(hub: Hub, row: dict[str, Any]) -> dict[str, Any]:
    """A sessions-list row with its matter's name (the code stays in `matter`)."""
    return {**row, "matter_name": await hub.catalogue.matter_name(row.get("matter"))}


async def session_detail(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    who = await principal_of(request, hub)
    officer_id = _report_scope(who)
    rows = await hub.calls.list_sessions(
        session_id=request.match_info["session_id"], officer_id=officer_id
    )
    if not rows:
        raise HubError(ErrorCode.NOT_FOUND, "no such session")
    return web.json_response(dumps=_dumps, data=await _named(hub, rows[0]))


async def audit(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    who = await principal_of(request, hub)
    if who.role is not Role.ADMIN:
        raise HubError(ErrorCode.FORBIDDEN, "administrators only")
    session_id = request.query.get("session_id") or None
    return web.json_response(dumps=_dumps, data=await hub.calls.audit_entries(session_id))


async def _identity_session(request: web.Request, hub: Hub) -> tuple[Principal, str]:
    """The caller and session of an identity request: the officer holding it, or an admin."""
    who = await principal_of(request, hub)
    session_id = request.match_info["session_id"]
    if who.role is Role.ADMIN:
        if not await hub.calls.list_sessions(session_id=session_id):
            raise HubError(ErrorCode.NOT_FOUND, "no such session")
        return who, session_id
    if who.role is not Role.OFFICER:
        raise HubError(ErrorCode.FORBIDDEN, "officers and administrators only")
    await hub.calls.holder_check(session_id, who)  # not_in_session (409) otherwise
    return who, session_id


async def session_identity(request: web.Request) -> web.Response:
    """The session's newest identity, masked; the read is audited (`identity.read`)."""
    hub = request.app[HUB_KEY]
    who, session_id = await _identity_session(request, hub)
    stored = await hub.identities.latest(session_id, who, "identity.read")
    data = stored.record.masked()
    data["identity_id"] = stored.identity_id
    return web.json_response(dumps=_dumps, data=data)


async def reveal_identity(request: web.Request) -> web.Response:
    """The full ID number of the session's newest identity; audited (`identity.reveal`)."""
    hub = request.app[HUB_KEY]
    who, session_id = await _identity_session(request, hub)
    stored = await hub.identities.latest(session_id, who, "identity.reveal")
    log.info("identity %d revealed to %s %d", stored.identity_id, who.role.value, who.subject_id)
    return web.json_response(
        dumps=_dumps,
        data={
            "identity_id": stored.identity_id,
            "name": stored.record.name,
            "id_number": stored.record.id_number,
        },
    )


def add_routes(app: web.Application) -> None:
    """Register the `/api/v1` routes."""
    app.router.add_get("/api/v1/health", health)
    app.router.add_post("/api/v1/auth/login", login)
    app.router.add_post("/api/v1/devices/enroll", enroll)
    app.router.add_post("/api/v1/devices/token", device_token)
    app.router.add_get("/api/v1/sessions", sessions)
    app.router.add_get("/api/v1/sessions/{session_id}", session_detail)
    app.router.add_get("/api/v1/sessions/{session_id}/identity", session_identity)
    app.router.add_post("/api/v1/sessions/{session_id}/identity/reveal", reveal_identity)
    app.router.add_get("/api/v1/audit", audit)


def _report_scope(who: Principal) -> int | None:
    """Officers see their own sessions (their id), admins all (None); others nothing."""
    if who.role is Role.ADMIN:
        return None
    if who.role is Role.OFFICER:
        return who.subject_id
    raise HubError(ErrorCode.FORBIDDEN, "officers and administrators only")
