"""Accounts over HTTP: log-in and its tokens, kiosk enrolment, and administering accounts.

- `POST /api/v1/auth/login` `{username, password[, new_password]}` -> tokens and the user.
- `POST /api/v1/auth/refresh` `{refresh_token}` -> a new token pair (the old refresh is spent).
- `POST /api/v1/auth/logout` ends the caller's log-in and closes its sockets.
- `POST /api/v1/auth/password` `{old_password, new_password}`: the caller's own password.
- `POST /api/v1/auth/totp/enrol`, `/auth/totp/confirm` `{code}`: the caller's second factor;
  log-in then needs `totp_code` (or a `recovery_code`); `.../users/{id}/totp-reset` removes it.
- `POST /api/v1/devices/enroll` `{code, name}` -> `{device_id, secret, point}`.
- `POST /api/v1/devices/token` `{device_id, secret}` -> a kiosk's token pair.
- Administrators: `GET/POST /api/v1/users`, `POST /api/v1/users/{id}/active`,
  `.../password-reset`, `.../revoke`; `GET /api/v1/kiosks`, `POST /api/v1/kiosks/{id}/active`.
Failed log-ins are limited per (account, address) after the password check, and every
kind of failure per address (`throttle.py`, in the database); every outcome is audited.
"""

from __future__ import annotations

import logging

from aiohttp import web

from backoffice_console.hub.accounts.service import ACCOUNTS_KEY, Accounts
from backoffice_console.hub.core.access import PUBLIC, SIGNED_IN, USERS, allow
from backoffice_console.hub.core.caller import principal_of
from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.core.errors import HubError, Unauthorized
from backoffice_console.hub.core.http import id_match, json_reply, read_body, wire
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.core.ws import Connected
from shared.protocol import ErrorCode, Role
from shared.protocol.accounts import (
    CLOSE_ACCESS_REVOKED,
    CLOSE_SESSION_ENDED,
    ActiveBody,
    DeviceTokenBody,
    DeviceTokenReply,
    Done,
    EnrollBody,
    EnrollReply,
    KioskList,
    LoginBody,
    LoginReply,
    PasswordChangeBody,
    PasswordReset,
    ReasonBody,
    RecoveryCodes,
    RefreshBody,
    TokenPair,
    TotpCodeBody,
    TotpEnrolment,
    UserCreateBody,
    UserCreated,
    UserList,
)

log = logging.getLogger(__name__)

routes = web.RouteTableDef()


def _done() -> web.Response:
    return json_reply({"ok": True})


async def _admin(request: web.Request) -> Principal:
    who = await principal_of(request)
    if who.role is not Role.ADMIN:
        raise HubError(ErrorCode.FORBIDDEN, "administrators only")
    return who


@routes.post("/api/v1/auth/login")
@wire(request=LoginBody, response=LoginReply)
@allow(PUBLIC)
async def login(request: web.Request) -> web.Response:
    """A user's log-in: a short access token, a refresh token, and who they are."""
    accounts = request.app[ACCOUNTS_KEY]
    body = await read_body(request, LoginBody)
    source = request.remote or ""
    pair_key, address_key = f"login:{body.username.lower()}|{source}", f"address:{source}"
    # Only the address's own failures close it: nobody elsewhere can shut an account out.
    if await accounts.address_limit.blocked(address_key):
        raise HubError(ErrorCode.RATE_LIMITED, "too many failed attempts from this address")
    try:
        tokens, user = await accounts.store.login(
            body.username,
            body.password,
            new_password=body.new_password,
            source=source,
            throttled=await accounts.pair_limit.blocked(pair_key),
            totp_code=body.totp_code,
            recovery_code=body.recovery_code,
        )
    except Unauthorized:
        await accounts.pair_limit.failed([pair_key])
        await accounts.address_limit.failed([address_key])
        log.info("failed login from %s", request.remote)
        raise
    await accounts.pair_limit.reset(pair_key)
    user_info = {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
    }
    return json_reply({**tokens.reply(), "user": user_info})


@routes.post("/api/v1/auth/refresh")
@wire(request=RefreshBody, response=TokenPair)
@allow(PUBLIC)
async def refresh(request: web.Request) -> web.Response:
    """A new access token and refresh token for a live log-in (users and kiosks alike)."""
    accounts = request.app[ACCOUNTS_KEY]
    body = await read_body(request, RefreshBody)
    address_key = f"address:{request.remote or ''}"
    if await accounts.address_limit.blocked(address_key):
        raise HubError(ErrorCode.RATE_LIMITED, "too many failed attempts from this address")
    try:
        tokens = await accounts.logins.refresh(body.refresh_token)
    except Unauthorized:
        await accounts.address_limit.failed([address_key])
        await request.app[CORE_KEY].audit.write(
            None, "auth.refresh_refused", source=request.remote or ""
        )
        raise
    return json_reply(tokens.reply())


@routes.post("/api/v1/auth/logout")
@wire(request=None, response=Done)
@allow(SIGNED_IN)
async def logout(request: web.Request) -> web.Response:
    """End the caller's log-in: its tokens stop working and its sockets close now."""
    accounts = request.app[ACCOUNTS_KEY]
    who = await principal_of(request)
    await accounts.logins.logout(who)
    if who.login_id is not None:
        await accounts.close_logins([who.login_id], CLOSE_SESSION_ENDED, "logged out")
    return _done()


@routes.post("/api/v1/auth/password")
@wire(request=PasswordChangeBody, response=Done)
@allow(*USERS)
async def change_password(request: web.Request) -> web.Response:
    """The caller changes their own password; their other log-ins end."""
    accounts = request.app[ACCOUNTS_KEY]
    who = await principal_of(request)
    body = await read_body(request, PasswordChangeBody)
    if who.is_kiosk:
        raise HubError(ErrorCode.FORBIDDEN, "kiosks have no password")
    ended = await accounts.store.change_password(
        who.subject_id, body.old_password, body.new_password, keep=who.login_id
    )
    await accounts.close_logins(ended, CLOSE_SESSION_ENDED, "password changed")
    return _done()


@routes.post("/api/v1/auth/totp/enrol")
@wire(request=None, response=TotpEnrolment)
@allow(*USERS)
async def totp_enrol(request: web.Request) -> web.Response:
    """Start the caller's second factor: a secret and its otpauth:// URI (a QR code)."""
    who = await principal_of(request)
    secret, uri = await request.app[ACCOUNTS_KEY].store.totp.enrol(who)
    return json_reply({"secret": secret, "otpauth_uri": uri})


@routes.post("/api/v1/auth/totp/confirm")
@wire(request=TotpCodeBody, response=RecoveryCodes)
@allow(*USERS)
async def totp_confirm(request: web.Request) -> web.Response:
    """Activate it with a first code: the recovery codes, shown once."""
    who = await principal_of(request)
    body = await read_body(request, TotpCodeBody)
    codes = await request.app[ACCOUNTS_KEY].store.totp.confirm(who, body.code)
    return json_reply({"codes": codes})


@routes.post("/api/v1/devices/enroll")
@wire(request=EnrollBody, response=EnrollReply)
@allow(PUBLIC)
async def enroll(request: web.Request) -> web.Response:
    """Enrol a kiosk with a one-time code: its device id and secret."""
    accounts = request.app[ACCOUNTS_KEY]
    body = await read_body(request, EnrollBody)
    address_key = f"address:{request.remote or ''}"
    if await accounts.address_limit.blocked(address_key):
        raise HubError(ErrorCode.RATE_LIMITED, "too many failed attempts from this address")
    try:
        done = await accounts.store.enroll(body.code, body.name)
    except Unauthorized:
        await accounts.address_limit.failed([address_key])
        await request.app[CORE_KEY].audit.write(
            None, "device.enroll_failed", source=request.remote or ""
        )
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
@allow(PUBLIC)
async def device_token(request: web.Request) -> web.Response:
    """A kiosk's log-in with its device secret: a short access token and a refresh token."""
    accounts = request.app[ACCOUNTS_KEY]
    body = await read_body(request, DeviceTokenBody)
    address_key = f"address:{request.remote or ''}"
    if await accounts.address_limit.blocked(address_key):
        raise HubError(ErrorCode.RATE_LIMITED, "too many failed attempts from this address")
    try:
        tokens = await accounts.store.device_token(
            body.device_id, body.secret, request.remote or ""
        )
    except Unauthorized:
        await accounts.address_limit.failed([address_key])
        raise
    return json_reply(tokens.reply())


# --- administering accounts and kiosks ----------------------------------------


@routes.get("/api/v1/users")
@wire(request=None, response=UserList)
@allow(Role.ADMIN)
async def list_users(request: web.Request) -> web.Response:
    """Every account (administrators)."""
    await _admin(request)
    return json_reply(await request.app[ACCOUNTS_KEY].lifecycle.users())


@routes.post("/api/v1/users")
@wire(request=UserCreateBody, response=UserCreated)
@allow(Role.ADMIN)
async def create_user(request: web.Request) -> web.Response:
    """Add an account (administrators; the password rules apply)."""
    who = await _admin(request)
    body = await read_body(request, UserCreateBody)
    user_id = await request.app[ACCOUNTS_KEY].store.create_user(
        body.username, body.display_name, body.role, body.password, actor_id=who.subject_id
    )
    return json_reply({"id": user_id}, status=201)


@routes.post("/api/v1/users/{user_id}/active")
@wire(request=ActiveBody, response=Done)
@allow(Role.ADMIN)
async def set_user_active(request: web.Request) -> web.Response:
    """Disable (its log-ins end, its sockets close) or enable an account."""
    who = await _admin(request)
    user_id = id_match(request, "user_id", "user")
    body = await read_body(request, ActiveBody)
    accounts = request.app[ACCOUNTS_KEY]
    ended = await accounts.lifecycle.set_user_active(who, user_id, body.active, body.reason)
    await accounts.close_logins(ended, CLOSE_ACCESS_REVOKED, "account disabled")
    return _done()


@routes.post("/api/v1/users/{user_id}/password-reset")
@wire(request=ReasonBody, response=PasswordReset)
@allow(Role.ADMIN)
async def reset_password(request: web.Request) -> web.Response:
    """A temporary password, to be changed at the next log-in; the user's log-ins end."""
    who = await _admin(request)
    user_id = id_match(request, "user_id", "user")
    body = await read_body(request, ReasonBody)
    accounts = request.app[ACCOUNTS_KEY]
    temporary, ended = await accounts.lifecycle.reset_password(who, user_id, body.reason)
    await accounts.close_logins(ended, CLOSE_SESSION_ENDED, "password reset")
    return json_reply({"temporary_password": temporary})


@routes.post("/api/v1/users/{user_id}/revoke")
@wire(request=ReasonBody, response=Done)
@allow(Role.ADMIN)
async def revoke_user(request: web.Request) -> web.Response:
    """End every log-in of an account (it may log in again)."""
    who = await _admin(request)
    user_id = id_match(request, "user_id", "user")
    body = await read_body(request, ReasonBody)
    accounts = request.app[ACCOUNTS_KEY]
    ended = await accounts.logins.revoke_subject(who, "user", user_id, body.reason)
    await accounts.close_logins(ended, CLOSE_SESSION_ENDED, "revoked")
    return _done()


@routes.post("/api/v1/users/{user_id}/totp-reset")
@wire(request=ReasonBody, response=Done)
@allow(Role.ADMIN)
async def reset_totp(request: web.Request) -> web.Response:
    """Remove a user's lost second factor (audited with the reason); their log-ins end."""
    who = await principal_of(request)
    user_id = id_match(request, "user_id", "user")
    body = await read_body(request, ReasonBody)
    accounts = request.app[ACCOUNTS_KEY]
    ended = await accounts.store.totp.reset(who, user_id, body.reason)
    await accounts.close_logins(ended, CLOSE_SESSION_ENDED, "factor reset")
    return _done()


@routes.get("/api/v1/kiosks")
@wire(request=None, response=KioskList)
@allow(Role.ADMIN)
async def list_kiosks(request: web.Request) -> web.Response:
    """Every enrolled kiosk, with its point and when it was last seen (administrators)."""
    await _admin(request)
    return json_reply(await request.app[ACCOUNTS_KEY].lifecycle.kiosks())


@routes.post("/api/v1/kiosks/{kiosk_id}/active")
@wire(request=ActiveBody, response=Done)
@allow(Role.ADMIN)
async def set_kiosk_active(request: web.Request) -> web.Response:
    """Revoke a kiosk's credential (its socket closes now) or restore it."""
    who = await _admin(request)
    kiosk_id = id_match(request, "kiosk_id", "kiosk")
    body = await read_body(request, ActiveBody)
    accounts = request.app[ACCOUNTS_KEY]
    ended = await accounts.lifecycle.set_kiosk_active(who, kiosk_id, body.active, body.reason)
    await accounts.close_logins(ended, CLOSE_ACCESS_REVOKED, "kiosk revoked")
    return _done()


def setup(app: web.Application) -> None:
    """Accounts on the hub: the routes, the token resolver, kiosks seen as they connect."""
    core = app[CORE_KEY]
    accounts = Accounts.create(core)
    app[ACCOUNTS_KEY] = accounts
    core.provide_authenticator(accounts.logins)
    core.bus.subscribe(Connected, accounts.on_connected)
    app.add_routes(routes)
