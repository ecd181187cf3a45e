"""The queue and the calls: tickets and call sessions.

Change a model only together with a new migration; the schema test checks they match.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from backoffice_console.hub.db import utcnow
from backoffice_console.hub.db.base import Base


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
