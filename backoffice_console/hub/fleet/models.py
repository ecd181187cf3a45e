"""Fleet registry (issue 7): points history, devices, heartbeats, health, inspections, work orders.

Dates that mean a calendar day at the point (valid_from, exceptions, due dates)
are `Date` columns in the hub's local calendar; instants are UTC timestamps.
Times of day are minutes after midnight (0..1440) so overlap checks are integer
arithmetic on every database.

Change a model only together with its migration; tests/hub/db/test_migrations.py checks they match.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backoffice_console.hub.db import utcnow
from backoffice_console.hub.db.base import Base

__all__ = [
    "FleetDevice",
    "FleetHealthReport",
    "FleetHourRule",
    "FleetInspection",
    "FleetInstall",
    "FleetKioskPresence",
    "FleetPointVersion",
    "FleetWorkOrder",
]


class FleetPointVersion(Base):
    """A service point as it was from `valid_from` (inclusive) to `valid_to` (exclusive)."""

    __tablename__ = "fleet_point_versions"
    __table_args__ = (Index("ix_fleet_point_versions_point_from", "point_id", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date, default=None)
    kind: Mapped[str] = mapped_column(String(24))
    """committee | park | building | party_mass_centre."""
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    sub_district: Mapped[str] = mapped_column(String(100), default="", index=True)
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    contact: Mapped[str] = mapped_column(String(200), default="")
    """The point's public office contact (published on the government map), not a person's."""
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | closed
    reason: Mapped[str] = mapped_column(String(300), default="")
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FleetHourRule(Base):
    """An opening rule: weekly (`weekday`), a dated closure or a dated special opening."""

    __tablename__ = "fleet_hour_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # weekly | closed | special
    weekday: Mapped[int | None] = mapped_column(Integer, default=None)  # 0 = Monday
    day: Mapped[dt.date | None] = mapped_column(Date, default=None)
    opens_min: Mapped[int] = mapped_column(Integer, default=0)
    closes_min: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FleetDevice(Base):
    """A physical device, known by its serial for life (where it is: `FleetInstall`)."""

    __tablename__ = "fleet_devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # idcard | doccam | printer | signpad | ...
    model: Mapped[str] = mapped_column(String(100))
    serial: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FleetInstall(Base):
    """A device's stay at one point; a move closes this row and opens one at the new point."""

    __tablename__ = "fleet_installs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("fleet_devices.id"), index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    installed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    installed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class FleetKioskPresence(Base):
    """Whether a kiosk has a websocket open now, and since when (online or offline)."""

    __tablename__ = "fleet_kiosk_presence"

    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosks.id"), primary_key=True)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FleetHealthReport(Base):
    """One health report as a kiosk sent it (`report` is the HealthReport JSON)."""

    __tablename__ = "fleet_health_reports"
    __table_args__ = (Index("ix_fleet_health_reports_kiosk", "kiosk_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosks.id"))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    failed: Mapped[list[str]] = mapped_column(JSON, default=list)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class FleetInspection(Base):
    """A scheduled inspection of a point with its checklist; `done_at` set when recorded."""

    __tablename__ = "fleet_inspections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    checklist: Mapped[list[str]] = mapped_column(JSON, default=list)
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    scheduled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    done_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    results: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(String(500), default="")


class FleetWorkOrder(Base):
    """A fault to fix: opened by a failed health check (`part`) or by hand, closed with a note."""

    __tablename__ = "fleet_work_orders"
    __table_args__ = (Index("ix_fleet_work_orders_open", "closed_at", "kiosk_id", "part"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosks.id"), default=None)
    part: Mapped[str | None] = mapped_column(String(32), default=None)
    source: Mapped[str] = mapped_column(String(8))  # health | manual
    summary: Mapped[str] = mapped_column(String(300))
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("fleet_health_reports.id"), default=None
    )
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    close_note: Mapped[str] = mapped_column(String(500), default="")
