"""Who may connect: users, service points, kiosks, enrolment codes and tokens.

Change a model only together with a new migration; the schema test checks they match.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from backoffice_console.hub.db import utcnow
from backoffice_console.hub.db.base import Base


class User(Base):
    """A person who logs in to the console: officer, technician or admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    lines: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["*"])
    """Line codes the officer is qualified for; ["*"] means every line (routing, issue 6)."""
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    """Set by an administrator's reset: the next log-in must choose a new password."""
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    totp_nonce: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    """The TOTP secret, sealed with the hub's key (the user's id as associated data)."""
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    """Confirmed with a first code: every log-in then needs a code (or a recovery code)."""
    totp_last_step: Mapped[int | None] = mapped_column(Integer, default=None)
    """The last time step accepted: a code is never accepted twice."""


class Login(Base):
    """One log-in of a user or a kiosk: its refresh token and the life of its access tokens.

    A websocket belongs to a log-in, not to one access token: refreshing moves
    `access_expires_at` on, and revoking the log-in (logout, a disabled account or
    kiosk, a password reset) ends every token and socket of it at once.
    """

    __tablename__ = "logins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(8))  # "user" | "device"
    subject_id: Mapped[int] = mapped_column(Integer)
    refresh_hash: Mapped[str] = mapped_column(String(64), unique=True)
    previous_refresh_hash: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    """The refresh token this one replaced: presented again, it means a stolen copy."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    access_expires_at: Mapped[dt.datetime] = mapped_column()
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    """The log-in's absolute end: no refresh goes past it."""
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_reason: Mapped[str | None] = mapped_column(String(32), default=None)


class Token(Base):
    """A short-lived access token of a log-in, stored as its SHA-256 digest."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    login_id: Mapped[int] = mapped_column(ForeignKey("logins.id"), index=True)
    subject_kind: Mapped[str] = mapped_column(String(8))  # "user" | "device"
    subject_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class ServicePoint(Base):
    """A place with kiosks: a neighbourhood committee, a park, a service centre."""

    __tablename__ = "service_points"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Kiosk(Base):
    """An enrolled kiosk machine; it proves itself with a secret stored argon2-hashed."""

    __tablename__ = "kiosks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    enrolled_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class EnrollmentCode(Base):
    """A one-time code an administrator hands to whoever installs a kiosk."""

    __tablename__ = "enrollment_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    kiosk_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosks.id"), default=None)


class Throttle(Base):
    """Failures of one key (an account from an address, or an address) in the current window."""

    __tablename__ = "auth_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[dt.datetime] = mapped_column(index=True)


class RecoveryCode(Base):
    """A one-time code that stands in for a lost second factor, stored as a digest."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
