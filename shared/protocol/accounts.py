"""Accounts over HTTP: log-in, refresh, logout, passwords, and the lifecycle of accounts
and kiosk credentials.

Hub: `backoffice_console/hub/accounts/routes.py`.

A log-in (a password, or a kiosk's device secret) gives a short access token and a
refresh token; `POST /api/v1/auth/refresh` trades the refresh token for a new pair
(the old refresh token is spent: presenting it again ends the log-in). The
websocket lives as long as its log-in: the hub closes it with `CLOSE_SESSION_ENDED`
when the access token runs out unrefreshed, the log-in is revoked or logged out,
and with `CLOSE_ACCESS_REVOKED` when the account or the kiosk is disabled.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, RootModel

from shared.protocol.base import DbId, Model
from shared.protocol.messages import Role

CLOSE_SESSION_ENDED = 4401
"""Websocket close code: the log-in ended (token expired, revoked, logged out).
A client may refresh or log in again and reconnect once; it must not retry in a loop."""
CLOSE_ACCESS_REVOKED = 4403
"""Websocket close code: the account or the kiosk is disabled; do not reconnect by itself."""

PASSWORD_MAX = 1024


class LoginBody(BaseModel):
    """`POST /api/v1/auth/login`; `new_password` after the answer `password_change_required`."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)
    new_password: str | None = Field(default=None, min_length=1, max_length=PASSWORD_MAX)
    totp_code: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    """The authenticator app's code, when the account has a second factor."""
    recovery_code: str | None = Field(default=None, min_length=4, max_length=32)
    """Instead of `totp_code`: one of the account's one-time recovery codes."""


class TotpCodeBody(BaseModel):
    """`POST /api/v1/auth/totp/confirm`: the first code of a newly enrolled factor."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[0-9]{6}$")


class RefreshBody(BaseModel):
    """`POST /api/v1/auth/refresh`."""

    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=200)


class PasswordChangeBody(BaseModel):
    """`POST /api/v1/auth/password`: the caller changes their own password."""

    model_config = ConfigDict(extra="forbid")

    old_password: str = Field(min_length=1, max_length=PASSWORD_MAX)
    new_password: str = Field(min_length=1, max_length=PASSWORD_MAX)


class ReasonBody(BaseModel):
    """`POST /api/v1/users/{id}/password-reset` and `.../revoke`: the reason the audit keeps."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=200)


class ActiveBody(BaseModel):
    """`POST /api/v1/users/{id}/active`, `POST /api/v1/kiosks/{id}/active`."""

    model_config = ConfigDict(extra="forbid")

    active: bool
    reason: str = Field(min_length=1, max_length=200)


class UserCreateBody(BaseModel):
    """`POST /api/v1/users`: an administrator adds an account (password rules apply)."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    display_name: str = Field(min_length=1, max_length=200)
    role: Role
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)


class EnrollBody(BaseModel):
    """`POST /api/v1/devices/enroll`."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=4, max_length=32)
    name: str = Field(min_length=1, max_length=200)


class DeviceTokenBody(BaseModel):
    """`POST /api/v1/devices/token`."""

    model_config = ConfigDict(extra="forbid")

    device_id: DbId
    secret: str = Field(min_length=1, max_length=200)


class UserInfo(Model):
    """The logged-in user as the log-in reply describes it."""

    id: int
    username: str
    display_name: str
    role: Role


class PointRef(Model):
    """A service point by id and name."""

    id: int
    name: str


class TokenPair(Model):
    """A short access token (the bearer) and the refresh token that renews it."""

    token: str
    expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    """The log-in's absolute end: after it, log in again."""


class LoginReply(TokenPair):
    """Reply to `POST /api/v1/auth/login`: the tokens and who they belong to."""

    user: UserInfo


class UserRow(Model):
    """An account as the administrator's list shows it."""

    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    lines: list[str]
    must_change_password: bool
    created_at: datetime


class UserList(RootModel[list[UserRow]]):
    """Reply to `GET /api/v1/users`: every account, by user name."""


class Done(Model):
    """The reply of an action with nothing else to say (logout, disable, revoke)."""

    ok: bool


class TotpEnrolment(Model):
    """Reply to `POST /api/v1/auth/totp/enrol`: the secret and its otpauth:// URI (a QR code)."""

    secret: str
    otpauth_uri: str


class RecoveryCodes(Model):
    """Reply to `POST /api/v1/auth/totp/confirm`: one-time codes, shown once."""

    codes: list[str]


class UserCreated(Model):
    """Reply to `POST /api/v1/users`."""

    id: int


class PasswordReset(Model):
    """Reply to `POST /api/v1/users/{id}/password-reset`: shown to the administrator once."""

    temporary_password: str


class KioskRow(Model):
    """A kiosk as the administrator's list shows it."""

    id: int
    name: str
    point: PointRef
    active: bool
    enrolled_at: datetime
    last_seen_at: datetime | None


class KioskList(RootModel[list[KioskRow]]):
    """Reply to `GET /api/v1/kiosks`: every enrolled kiosk, by point and name."""


class EnrollReply(Model):
    """Reply to `POST /api/v1/devices/enroll`: the kiosk's credential and its point."""

    device_id: DbId
    secret: str
    point: PointRef


class DeviceTokenReply(TokenPair):
    """Reply to `POST /api/v1/devices/token`: a kiosk's tokens."""


__all__ = [
    "CLOSE_ACCESS_REVOKED",
    "CLOSE_SESSION_ENDED",
    "ActiveBody",
    "DeviceTokenBody",
    "DeviceTokenReply",
    "Done",
    "EnrollBody",
    "EnrollReply",
    "KioskList",
    "KioskRow",
    "LoginBody",
    "LoginReply",
    "PasswordChangeBody",
    "PasswordReset",
    "PointRef",
    "ReasonBody",
    "RecoveryCodes",
    "RefreshBody",
    "TokenPair",
    "TotpCodeBody",
    "TotpEnrolment",
    "UserCreateBody",
    "UserCreated",
    "UserInfo",
    "UserList",
    "UserRow",
]
