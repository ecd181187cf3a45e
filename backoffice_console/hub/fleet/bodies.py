"""The JSON bodies the fleet routes take (validated with `core.http.read_body`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Text200 = Annotated[str, Field(min_length=1, max_length=200)]
PointKind = Literal["committee", "park", "building", "party_mass_centre"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PointBody(_Body):
    """`POST /api/v1/fleet/points`."""

    kind: PointKind
    name: Text200
    address: str = Field(default="", max_length=300)
    sub_district: str = Field(default="", max_length=100)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    contact: str = Field(default="", max_length=200)
    effective: dt.date | None = None


class ChangeBody(_Body):
    """`POST /api/v1/fleet/points/{id}/changes`: only the fields given change."""

    effective: dt.date
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
    day: dt.date | None = None
    opens: str | None = Field(default=None, max_length=5)
    closes: str | None = Field(default=None, max_length=5)
    note: str = Field(default="", max_length=200)


class DeviceBody(_Body):
    """`POST /api/v1/fleet/devices`."""

    point_id: int = Field(ge=1)
    kind: Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[a-z0-9_.]+$")]
    model: Annotated[str, Field(min_length=1, max_length=100)]
    serial: Annotated[str, Field(min_length=1, max_length=100)]


class MoveBody(_Body):
    """`POST /api/v1/fleet/devices/{id}/move`."""

    point_id: int = Field(ge=1)


class InspectionBody(_Body):
    """`POST /api/v1/fleet/points/{id}/inspections`."""

    title: Text200
    checklist: list[Text200] = Field(min_length=1, max_length=30)
    due_on: dt.date


class RecordBody(_Body):
    """`POST /api/v1/fleet/inspections/{id}/record`."""

    results: dict[Annotated[str, Field(max_length=200)], bool] = Field(max_length=30)
    note: str = Field(default="", max_length=500)


class OrderBody(_Body):
    """`POST /api/v1/fleet/work-orders`."""

    point_id: int = Field(ge=1)
    kiosk_id: int | None = Field(default=None, ge=1)
    summary: Annotated[str, Field(min_length=1, max_length=300)]


class CloseBody(_Body):
    """`POST /api/v1/fleet/work-orders/{id}/close`: the note is required."""

    note: Annotated[str, Field(min_length=1, max_length=500)]
