"""Accounts over HTTP: an officer's log-in, a kiosk's enrolment and its device tokens.

Hub: `backoffice_console/hub/accounts/routes.py` (`login`, `enroll`, `device_token`).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.protocol.base import DbId, Model
from shared.protocol.messages import Role


class LoginBody(BaseModel):
    """`POST /api/v1/auth/login`."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


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


class LoginReply(Model):
    """Reply to `POST /api/v1/auth/login`: a bearer token and who it belongs to."""

    token: str
    expires_at: datetime
    user: UserInfo


class PointRef(Model):
    """A service point by id and name."""

    id: int
    name: str


class EnrollReply(Model):
    """Reply to `POST /api/v1/devices/enroll`: the kiosk's credential and its point."""

    device_id: DbId
    secret: str
    point: PointRef


class DeviceTokenReply(Model):
    """Reply to `POST /api/v1/devices/token`: a short-lived bearer token."""

    token: str
    expires_at: datetime


__all__ = [
    "DeviceTokenBody",
    "DeviceTokenReply",
    "EnrollBody",
    "EnrollReply",
    "LoginBody",
    "LoginReply",
    "PointRef",
    "UserInfo",
]
