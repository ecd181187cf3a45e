"""Accounts over HTTP: officers log in, kiosks enrol and exchange their secret for a token.

- `POST /api/v1/auth/login` `{username, password}` -> `{token, expires_at, user}`.
- `POST /api/v1/devices/enroll` `{code, name}` -> `{device_id, secret, point}`.
- `POST /api/v1/devices/token` `{device_id, secret}` -> `{token, expires_at}`.
Failures are rate-limited per user name and per address.
"""

from __future__ import annotations

import logging

from aiohttp import web

from backoffice_console.hub.accounts.service import ACCOUNTS_KEY, Accounts
from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.core.errors import HubError, Unauthorized
from backoffice_console.hub.core.http import json_reply, read_body, wire
from backoffice_console.hub.core.ws import Connected
from shared.protocol import ErrorCode
from shared.protocol.accounts import (
    DeviceTokenBody,
    DeviceTokenReply,
    EnrollBody,
    EnrollReply,
    LoginBody,
    LoginReply,
)

log = logging.getLogger(__name__)

routes = web.RouteTableDef()


@routes.post("/api/v1/auth/login")
@wire(request=LoginBody, response=LoginReply)
async def login(request: web.Request) -> web.Response:
    """An officer's (or any user's) bearer token."""
    accounts = request.app[ACCOUNTS_KEY]
    body = await read_body(request, LoginBody)
    user_key, ip_key = f"user:{body.username}", f"ip:{request.remote}"
    if accounts.login_limiter.blocked(user_key) or accounts.ip_limiter.blocked(ip_key):
        raise HubError(ErrorCode.RATE_LIMITED, "too many failed logins; try again later")
    try:
        token, user = await accounts.store.login(body.username, body.password)
    except Unauthorized:
        accounts.login_limiter.failed(user_key)
        accounts.ip_limiter.failed(ip_key)
        log.info("failed login from %s", request.remote)
        raise
    accounts.login_limiter.reset(user_key)
    return json_reply(
        {
            "token": token.token,
            "expires_at": token.expires_at.isoformat(),
            "user": {
                "id": user.id,
                "username": user.username,
                "display_name": user.display_name,
                "role": user.role,
            },
        }
    )


@routes.post("/api/v1/devices/enroll")
@wire(request=EnrollBody, response=EnrollReply)
async def enroll(request: web.Request) -> web.Response:
    """Enrol a kiosk with a one-time code: its device id and secret."""
    accounts = request.app[ACCOUNTS_KEY]
    body = await read_body(request, EnrollBody)
    ip_key = f"enroll:{request.remote}"
    if accounts.ip_limiter.blocked(ip_key):
        raise HubError(ErrorCode.RATE_LIMITED, "too many failed enrolments; try again later")
    try:
        done = await accounts.store.enroll(body.code, body.name)
    except Unauthorized:
        accounts.ip_limiter.failed(ip_key)
        raise
    log.info("kiosk %d enrolled at point %d", done.device_id, done.point_id)
    return json_reply(
        {
            "device_id": done.device_id,
            "secret": done.secret,
            "point": {"id": done.point_id, "name": done.point_name},
        }
    )


@routes.post("/api/v1/devices/token")
@wire(request=DeviceTokenBody, response=DeviceTokenReply)
async def device_token(request: web.Request) -> web.Response:
    """A kiosk's short-lived bearer token for its device secret."""
    accounts = request.app[ACCOUNTS_KEY]
    body = await read_body(request, DeviceTokenBody)
    ip_key = f"device:{request.remote}"
    if accounts.ip_limiter.blocked(ip_key):
        raise HubError(ErrorCode.RATE_LIMITED, "too many failed device logins; try later")
    try:
        token = await accounts.store.device_token(body.device_id, body.secret)
    except Unauthorized:
        accounts.ip_limiter.failed(ip_key)
        raise
    return json_reply({"token": token.token, "expires_at": token.expires_at.isoformat()})


def setup(app: web.Application) -> None:
    """Accounts on the hub: the routes, the token resolver, kiosks seen as they connect."""
    core = app[CORE_KEY]
    accounts = Accounts.create(core)
    app[ACCOUNTS_KEY] = accounts
    core.provide_authenticator(accounts.store)
    core.bus.subscribe(Connected, accounts.on_connected)
    app.add_routes(routes)
