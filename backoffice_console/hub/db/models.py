"""Tables of the hub (schema version: see migrations/versions).

Change a model only together with a new migration; `tests/test_hub_db.py`
checks that the migrated schema matches these models.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
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
    lines: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["*"])
    """Line codes the officer is qualified for; ["*"] means every line (routing, issue 6)."""


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
    # Routing (issue 6): see hub/routing.py. No birth date is stored, only the priority.
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    line: Mapped[str | None] = mapped_column(String(64), default=None)
    assistance: Mapped[bool] = mapped_column(Boolean, default=False)
    transfer_session_id: Mapped[str | None] = mapped_column(String(64), default=None)
    flagged_overdue_at: Mapped[dt.datetime | None] = mapped_column(default=None)


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


class StoredIdentity(Base):
    """A resident's identity brought into a session, encrypted at rest.

    `ciphertext` is AES-GCM of the full record's JSON under the key `key_id`
    names, with the session id as associated data (a row copied to another
    session does not decrypt). Only `source` and `card_type` are in clear.
    """

    __tablename__ = "identities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    command_id: Mapped[str | None] = mapped_column(String(64), default=None)
    source: Mapped[str] = mapped_column(String(32))
    card_type: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    key_id: Mapped[str] = mapped_column(String(16))
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)


class StoredDocument(Base):
    """A document the hub rendered for a session (receipt, slip, form), encrypted at rest.

    `ciphertext` is the PDF and `source_ciphertext` the model it was rendered from
    (a form is re-rendered with its signature), both AES-GCM under the identity
    vault's key with the session id as associated data. A signed form keeps its
    signed PDF in `signed_ciphertext`; `unsigned_reason` records why a resident
    could not sign.
    """

    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    paper: Mapped[str] = mapped_column(String(4))
    pages: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int] = mapped_column(Integer)
    key_id: Mapped[str] = mapped_column(String(16))
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    source_nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    source_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    signed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    signed_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    signed_nonce: Mapped[bytes | None] = mapped_column(LargeBinary(12), default=None)
    signed_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    unsigned_reason: Mapped[str | None] = mapped_column(String(200), default=None)


class StoredMaterial(Base):
    """A page captured at the kiosk during a session, validated, re-encoded and encrypted.

    `sha256` is the digest of the bytes the kiosk sent (its idempotency key): one row
    per (session, sha256). `ciphertext` / `thumb_ciphertext` are AES-GCM of the
    re-encoded JPEG and of its thumbnail, the session id as associated data.
    """

    __tablename__ = "materials"
    __table_args__ = (UniqueConstraint("session_id", "sha256", name="uq_materials_session_sha"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosks.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    command_id: Mapped[str | None] = mapped_column(String(64), default=None)
    page_no: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    rejected_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    key_id: Mapped[str] = mapped_column(String(16))
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    thumb_nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    thumb_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
