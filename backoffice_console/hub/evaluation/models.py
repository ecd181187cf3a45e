"""Ratings (好差评), rectifications, follow-ups and case contacts (issue 6).

A rating belongs to one call session (and so to its case): `session_id` is unique,
which is what refuses a second rating. `case_id` is filled when the session has a
case. Phone numbers are personal data: only AES-GCM ciphertext is stored.

Change a model only together with its migration; tests/hub/db/test_migrations.py checks they match.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from backoffice_console.hub.db import utcnow
from backoffice_console.hub.db.base import Base

__all__ = [
    "CaseContact",
    "FollowUp",
    "Rating",
    "Rectification",
]


class Rating(Base):
    """The resident's rating of one session: level 5 非常满意 ... 1 非常不满意."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), unique=True, default=None)
    level: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosks.id"), index=True)
    helper: Mapped[str | None] = mapped_column(String(64), default=None)
    """The on-site staff member the kiosk recorded (a name or staff number)."""
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class Rectification(Base):
    """整改: opened by a rating of 不满意 or worse; a supervisor closes it after a call-back."""

    __tablename__ = "rectifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), unique=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    deadline: Mapped[dt.date] = mapped_column(Date)
    """The last working day (hub's local calendar) on which it may still be closed."""
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    closed_by: Mapped[int | None] = mapped_column(Integer, default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    callback_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    callback_note: Mapped[str | None] = mapped_column(String(1000), default=None)
    overdue: Mapped[bool] = mapped_column(default=False)
    """Set when it was (or is being) closed after its deadline."""


class FollowUp(Base):
    """A resident who left without rating: one follow-up per session."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), unique=True)
    case_id: Mapped[int | None] = mapped_column(Integer, default=None)
    reason: Mapped[str] = mapped_column(String(32), default="no_rating")
    source: Mapped[str] = mapped_column(String(16))  # kiosk (skipped) | sweep
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(8))  # sms | none
    state: Mapped[str] = mapped_column(String(16))  # sent | no_contact | failed


class CaseContact(Base):
    """The resident's phone number for a case, AES-GCM sealed (session id as associated data)."""

    __tablename__ = "case_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    session_id: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    recorded_by: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
