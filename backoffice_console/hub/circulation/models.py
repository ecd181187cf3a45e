"""Originals on their way (原件流转): circulations and their hand-overs.

Change a model only together with its migration; the schema test checks they match.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backoffice_console.hub.db import utcnow
from backoffice_console.hub.db.base import Base

HOPS = ("at_point", "with_courier", "at_centre", "returned_to_point", "returned_to_resident")
"""The hand-overs of a circulation, in order."""
STATES = ("issued", *HOPS)
KIOSK_HOPS = frozenset({"at_point", "returned_to_point", "returned_to_resident"})
"""The hand-overs a kiosk (not only an officer) may record."""
FINAL = "returned_to_resident"


class Circulation(Base):
    """Originals travelling with a transmittal slip; `code` is on the slip's QR code."""

    __tablename__ = "circulations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    case_no: Mapped[str] = mapped_column(String(32), index=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(24), default="issued", index=True)
    """issued | at_point | with_courier | at_centre | returned_to_point | returned_to_resident."""
    location: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    state_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    """When the current state was reached (overdue is measured from here)."""


class CirculationHop(Base):
    """One hand-over of a circulation, recorded by a scan."""

    __tablename__ = "circulation_hops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    circulation_id: Mapped[int] = mapped_column(ForeignKey("circulations.id"), index=True)
    hop: Mapped[str] = mapped_column(String(24))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    by_kind: Mapped[str] = mapped_column(String(16))  # user | device
    by_id: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200), default="")
