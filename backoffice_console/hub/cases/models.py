"""Case records (issue 6): one case per call session, its timeline and its checklist.

A case is opened when an officer takes a ticket and keeps the session's id for
life (a transferred call keeps its session, so the case and everything stored
under the session stay together). `detail` of an event never holds personal data.

Change a model only together with its migration; tests/hub/db/test_migrations.py checks they match.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backoffice_console.hub.db import utcnow
from backoffice_console.hub.db.base import Base


class Case(Base):
    """A handled matter: who, what, under which catalogue version, and how it ended."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_no: Mapped[str] = mapped_column(String(32), unique=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosks.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    """The officer holding the case now (changes on transfer)."""
    matter_code: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    line_code: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    catalogue_version_id: Mapped[int | None] = mapped_column(Integer, default=None)
    state: Mapped[str] = mapped_column(String(24), default="open", index=True)
    """open | accepted (forwarded) | completed | needs_more | not_eligible."""
    outcome_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    approval_state: Mapped[str | None] = mapped_column(String(24), default=None)
    """Later approval at the centre: pending | approved | rejected (None: not forwarded)."""
    last4_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    """HMAC of (case_no, last 4 ID digits) for the progress look-up; None until an ID is read."""
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class CaseEvent(Base):
    """One entry of a case's timeline (opened, identity read, page added, note, outcome...)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    actor_kind: Mapped[str] = mapped_column(String(16))  # user | device | hub
    actor_id: Mapped[int | None] = mapped_column(Integer, default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CaseMaterial(Base):
    """A page or signed form assigned to an item of the matter's checklist."""

    __tablename__ = "case_materials"
    __table_args__ = (UniqueConstraint("case_id", "kind", "ref", name="uq_case_materials_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # page | document
    ref: Mapped[str] = mapped_column(String(64))  # materials.id or documents.id
    item_code: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    assigned_by: Mapped[int] = mapped_column(Integer)
