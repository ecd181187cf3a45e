"""The fleet registry over HTTP: service points, hours, devices, inspections, work orders.

Hub: `backoffice_console/hub/fleet/routes.py`; the replies are built by
fleet/points.py (`version_dict`, `rule_dict`, `ServiceStatus.to_json`, `calendar`),
fleet/devices.py (`FleetDevices.device`), fleet/care.py (`order_dict`,
`inspection_dict`, `overview`) and fleet/geojson.py (`open_points`). The kiosk
health reports of the same routes are in `shared.protocol.health`. Request bodies
strip surrounding whitespace from text, as the hub does.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from shared.protocol.base import Day, DbId, Model

Text200 = Annotated[str, Field(min_length=1, max_length=200)]
PointKind = Literal["committee", "park", "building", "party_mass_centre"]
HHMM = Annotated[str, Field(pattern=r"^[0-9]{2}:[0-9]{2}$")]
Span = tuple[HHMM, HHMM]
"""An opening span: opens, closes ("09:00", "12:00")."""


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- request bodies -------------------------------------------------------------------


class PointBody(_Body):
    """`POST /api/v1/fleet/points`."""

    kind: PointKind
    name: Text200
    address: str = Field(default="", max_length=300)
    sub_district: str = Field(default="", max_length=100)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    contact: str = Field(default="", max_length=200)
    effective: Day | None = None


class ChangeBody(_Body):
    """`POST /api/v1/fleet/points/{id}/changes`: only the fields given change."""

    effective: Day
    kind: PointKind | None = None
    name: Text200 | None = None
    address: str | None = Field(default=None, max_length=300)
    sub_district: str | None = Field(default=None, max_length=100)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    contact: str | None = Field(default=None, max_length=200)
    status: Literal["open", "closed"] | None = None
    reason: str = Field(default="", max_length=300)


class HourBody(_Body):
    """`POST /api/v1/fleet/points/{id}/hours`."""

    kind: Literal["weekly", "closed", "special"]
    weekday: int | None = Field(default=None, ge=0, le=6)
    day: Day | None = None
    opens: str | None = Field(default=None, max_length=5)
    closes: str | None = Field(default=None, max_length=5)
    note: str = Field(default="", max_length=200)


class DeviceBody(_Body):
    """`POST /api/v1/fleet/devices`."""

    point_id: DbId
    kind: Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[a-z0-9_.]+$")]
    model: Annotated[str, Field(min_length=1, max_length=100)]
    serial: Annotated[str, Field(min_length=1, max_length=100)]


class MoveBody(_Body):
    """`POST /api/v1/fleet/devices/{id}/move`."""

    point_id: DbId


class InspectionBody(_Body):
    """`POST /api/v1/fleet/points/{id}/inspections`."""

    title: Text200
    checklist: list[Text200] = Field(min_length=1, max_length=30)
    due_on: Day


class RecordBody(_Body):
    """`POST /api/v1/fleet/inspections/{id}/record`."""

    results: dict[Annotated[str, Field(max_length=200)], bool] = Field(max_length=30)
    note: str = Field(default="", max_length=500)


class OrderBody(_Body):
    """`POST /api/v1/fleet/work-orders`."""

    point_id: DbId
    kiosk_id: DbId | None = None
    summary: Annotated[str, Field(min_length=1, max_length=300)]


class CloseBody(_Body):
    """`POST /api/v1/fleet/work-orders/{id}/close`: the note is required."""

    note: Annotated[str, Field(min_length=1, max_length=500)]


# --- replies: the kiosk's point --------------------------------------------------------


class ServicePointRef(Model):
    """A service point by id and its name today."""

    id: int
    name: str


class KioskService(Model):
    """`GET /api/v1/kiosk/service` (kiosk): whether its point serves now."""

    point: ServicePointRef
    open_now: bool
    hours_today: list[Span]
    next_open: dt.datetime | None
    """The next opening when not open now (None: open now, or none within a year)."""
    closed: bool
    """The point itself is closed: no queueing at all."""


# --- replies: points and hours ------------------------------------------------------------


class PointVersion(Model):
    """A service point as of one version (valid from `valid_from` until `valid_to`).

    The reply to `POST /api/v1/fleet/points` (201) and `POST .../points/{id}/changes` (201).
    """

    point_id: int
    version_id: int
    valid_from: dt.date
    valid_to: dt.date | None
    kind: PointKind
    name: str
    address: str
    sub_district: str
    longitude: float | None
    latitude: float | None
    contact: str
    status: Literal["open", "closed"]
    reason: str
    changed_by: int | None
    changed_at: dt.datetime


class PointVersionList(RootModel[list[PointVersion]]):
    """`GET /api/v1/fleet/points?at=&sub_district=` (points as of a day) and
    `GET /api/v1/fleet/points/{id}/history` (every version, oldest first)."""


class HourRule(Model):
    """An opening-hours rule; the reply to `POST /api/v1/fleet/points/{id}/hours` (201)."""

    id: int
    kind: Literal["weekly", "closed", "special"]
    weekday: int | None
    day: dt.date | None
    opens: HHMM | None
    closes: HHMM | None
    note: str


class HourRuleList(RootModel[list[HourRule]]):
    """`GET /api/v1/fleet/points/{id}/hours`."""


class HoursDeleted(Model):
    """Reply to `POST /api/v1/fleet/hours/{rule_id}/delete`."""

    deleted: Literal[True]


class DayHours(Model):
    """One day's opening spans (holidays and special days applied)."""

    date: dt.date
    open: list[Span]


class DayHoursList(RootModel[list[DayHours]]):
    """`GET /api/v1/fleet/points/{id}/calendar?from=YYYY-MM-DD&days=N`."""


# --- replies: devices ------------------------------------------------------------------------


class Installation(Model):
    """One stay of a device at a point."""

    point_id: int
    installed_at: dt.datetime
    removed_at: dt.datetime | None


class Device(Model):
    """A device with its installations, oldest first; `point_id` is where it is now.

    `GET /api/v1/fleet/devices/{id}`, and the reply to `POST /api/v1/fleet/devices` (201)
    and `POST /api/v1/fleet/devices/{id}/move`.
    """

    id: int
    kind: str
    model: str
    serial: str
    point_id: int | None
    history: list[Installation]


class DeviceList(RootModel[list[Device]]):
    """`GET /api/v1/fleet/points/{id}/devices`: the devices at a point now."""


# --- replies: inspections and work orders -----------------------------------------------------


class Inspection(Model):
    """An inspection of a point; the reply to scheduling (201) and recording one."""

    id: int
    point_id: int
    point_name: str
    title: str
    checklist: list[str]
    due_on: dt.date
    overdue: bool
    done_at: dt.datetime | None
    done_by: int | None
    results: dict[str, bool]
    note: str


class InspectionList(RootModel[list[Inspection]]):
    """`GET /api/v1/fleet/inspections/due?within_days=14`: overdue ones first."""


class WorkOrder(Model):
    """A work order; the reply to opening (201) and closing one."""

    id: int
    point_id: int
    point_name: str
    kiosk_id: int | None
    part: str | None
    """The failed part of a health report (None for a manual order)."""
    source: str
    """`health` or `manual`."""
    summary: str
    opened_at: dt.datetime
    opened_by: int | None
    closed_at: dt.datetime | None
    closed_by: int | None
    close_note: str


class WorkOrderList(RootModel[list[WorkOrder]]):
    """`GET /api/v1/fleet/work-orders?state=open|closed|all&point_id=`: newest first."""


# --- replies: overview and the map feed -------------------------------------------------------


class OverviewKiosk(Model):
    """A kiosk of a point in the overview."""

    id: int
    name: str
    online: bool
    since: dt.datetime | None
    """Online or offline since."""
    failed: list[str]
    """Failed parts of its latest health report."""
    report_at: dt.datetime | None
    version: Annotated[str, Field(max_length=64)] | None = None
    """The kiosk's software version, from its latest health report (None: never reported)."""


class OverviewPoint(PointVersion):
    """A point today with its kiosks, failed parts and open work orders."""

    kiosks: list[OverviewKiosk]
    offline_since: dt.datetime | None
    """The longest-offline kiosk's `since` (None: all online)."""
    failed_parts: list[str]
    open_orders: int


class OverviewList(RootModel[list[OverviewPoint]]):
    """`GET /api/v1/fleet/overview?sub_district=`: points with an offline kiosk first."""


class PointGeometry(Model):
    """A GeoJSON point: [longitude, latitude] (WGS84)."""

    type: Literal["Point"]
    coordinates: tuple[float, float]


class PointProperties(Model):
    """What the map shows of a point (the contact is its public office contact)."""

    name: str
    kind: PointKind
    address: str
    sub_district: str
    contact: str
    hours: list[DayHours]
    """The next seven days."""


class PointFeature(Model):
    """One open point of the map feed."""

    type: Literal["Feature"]
    id: int
    geometry: PointGeometry
    properties: PointProperties


class PointFeatureCollection(Model):
    """`GET /api/v1/fleet/geojson` (`application/geo+json`): points open today, RFC 7946."""

    type: Literal["FeatureCollection"]
    features: list[PointFeature]


__all__ = [
    "ChangeBody",
    "CloseBody",
    "DayHours",
    "DayHoursList",
    "Device",
    "DeviceBody",
    "DeviceList",
    "HourBody",
    "HourRule",
    "HourRuleList",
    "HoursDeleted",
    "Inspection",
    "InspectionBody",
    "InspectionList",
    "Installation",
    "KioskService",
    "MoveBody",
    "OrderBody",
    "OverviewKiosk",
    "OverviewList",
    "OverviewPoint",
    "PointBody",
    "PointFeature",
    "PointFeatureCollection",
    "PointGeometry",
    "PointKind",
    "PointProperties",
    "PointVersion",
    "PointVersionList",
    "RecordBody",
    "ServicePointRef",
    "WorkOrder",
    "WorkOrderList",
]
