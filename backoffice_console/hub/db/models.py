"""Tables of the hub (schema version: see migrations/versions).

Change a model only together with a new migration; `tests/test_hub_db.py`
checks that the migrated schema matches these models.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from backoffice_console.hub.db.types import UTCDateTime, utcnow


class Base(DeclarativeBase):
    """Declarative base of every hub table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime()}


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


class Token(Base):
    """A bearer token, stored as its SHA-256 digest, for a user or a kiosk."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
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


class Ticket(Base):
    """A place in the queue: waiting, then taken by an officer, or left/expired."""

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_state_created", "state", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosks.id"), index=True)
    matter: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    taken_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    taken_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class CallSession(Base):
    """One call between a kiosk and an officer, opened when the officer takes a ticket."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosks.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    offer_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    answered_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    connected_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    ended_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    end_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    ended_by: Mapped[str | None] = mapped_column(String(16), default=None)
    reconnects: Mapped[int] = mapped_column(Integer, default=0)


class AuditEntry(Base):
    """Append-only record of who did what; `detail` never holds personal data."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))  # user | device | hub
    actor_id: Mapped[int | None] = mapped_column(Integer, default=None)
    action: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
