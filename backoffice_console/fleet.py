"""设备运维 for admins and technicians, without Qt: the fleet, a point's history, due inspections,
open work orders, closing an order with a note. Talks to the hub's `/api/v1/fleet/...` API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from backoffice_console.model import KeyedError
from shared.hubclient import HubError, request_json
from shared.protocol.fleet import (
    CloseBody,
    Inspection,
    InspectionList,
    OverviewList,
    OverviewPoint,
    PointVersion,
    PointVersionList,
    WorkOrder,
    WorkOrderList,
)
from shared.protocol.http import invalid_text

log = logging.getLogger(__name__)

FLEET_ROLES = ("admin", "technician")


class FleetHub(Protocol):
    """What the controller needs of a logged-in hub client."""

    async def get_json(self, path: str, **params: str) -> Any: ...
    async def post_json(self, path: str, payload: dict[str, Any]) -> Any: ...


class FleetError(KeyedError):
    """A failed fleet action; `key` is a text in the `fleet` i18n domain."""


ReplyT = TypeVar("ReplyT", bound=BaseModel)


@dataclass(frozen=True)
class KioskRow:
    """One kiosk in the fleet list."""

    kiosk_id: int
    name: str
    online: bool
    since: datetime | None
    failed: tuple[str, ...]
    version: str | None = None
    """Its software version, from its latest health report (None: never reported)."""


@dataclass(frozen=True)
class PointRow:
    """One service point in the fleet list, as the overview returns it."""

    point_id: int
    name: str
    kind: str
    sub_district: str
    address: str
    status: str
    kiosks: tuple[KioskRow, ...]
    failed_parts: tuple[str, ...]
    open_orders: int
    offline_since: datetime | None

    @property
    def health(self) -> str:
        """offline | closed | fault | ok: decides the row's colour (worst first)."""
        if any(not k.online for k in self.kiosks):
            return "offline"
        if self.status != "open":
            return "closed"
        if self.failed_parts or self.open_orders:
            return "fault"
        return "ok"

    def versions(self, unknown: str) -> str:
        """The kiosks' software versions: one when they agree, else each kiosk's."""
        found = [k.version or unknown for k in self.kiosks]
        if len(set(found)) <= 1:
            return found[0] if found else ""
        return "、".join(f"{k.name} {v}" for k, v in zip(self.kiosks, found, strict=True))

    @classmethod
    def of(cls, point: OverviewPoint) -> PointRow:
        """One overview entry."""
        kiosks = tuple(
            KioskRow(k.id, k.name, k.online, k.since, tuple(k.failed), k.version)
            for k in point.kiosks
        )
        return cls(
            point_id=point.point_id,
            name=point.name,
            kind=point.kind,
            sub_district=point.sub_district,
            address=point.address,
            status=point.status,
            kiosks=kiosks,
            failed_parts=tuple(point.failed_parts),
            open_orders=point.open_orders,
            offline_since=point.offline_since,
        )


@dataclass(frozen=True)
class VersionRow:
    """One version of a point's history."""

    valid_from: str
    valid_to: str | None
    name: str
    address: str
    status: str
    reason: str

    @classmethod
    def of(cls, version: PointVersion) -> VersionRow:
        """One history entry."""
        return cls(
            version.valid_from.isoformat(),
            version.valid_to.isoformat() if version.valid_to is not None else None,
            version.name,
            version.address,
            version.status,
            version.reason,
        )


@dataclass(frozen=True)
class InspectionRow:
    """An inspection not yet recorded."""

    inspection_id: int
    point_name: str
    title: str
    due_on: str
    overdue: bool
    items: int

    @classmethod
    def of(cls, inspection: Inspection) -> InspectionRow:
        """One due-list entry."""
        return cls(
            inspection.id,
            inspection.point_name,
            inspection.title,
            inspection.due_on.isoformat(),
            inspection.overdue,
            len(inspection.checklist),
        )


@dataclass(frozen=True)
class OrderRow:
    """An open work order."""

    order_id: int
    point_name: str
    kiosk_id: int | None
    part: str | None
    source: str
    summary: str
    opened_at: datetime | None

    @classmethod
    def of(cls, order: WorkOrder) -> OrderRow:
        """One work order."""
        return cls(
            order.id,
            order.point_name,
            order.kiosk_id,
            order.part,
            order.source,
            order.summary,
            order.opened_at,
        )


@dataclass
class FleetView:
    """Everything the 设备运维 tab shows."""

    points: list[PointRow] = field(default_factory=list)
    sub_districts: list[str] = field(default_factory=list)
    inspections: list[InspectionRow] = field(default_factory=list)
    orders: list[OrderRow] = field(default_factory=list)


class FleetController:
    """Loads the fleet view and closes work orders; `hub()` gives the logged-in client."""

    def __init__(self, hub: Callable[[], FleetHub | None]) -> None:
        self._hub = hub
        self.view = FleetView()
        self.sub_district = ""

    def _client(self) -> FleetHub:
        hub = self._hub()
        if hub is None:
            raise FleetError("error.offline")
        return hub

    async def _get(self, reply: type[ReplyT], path: str, **params: str) -> ReplyT:
        """GET `path` and read its answer as `reply`; FleetError `error.load` on any failure."""
        try:
            data = await self._client().get_json(path, **params)
            return reply.model_validate(data)
        except HubError as exc:
            log.info("fleet: GET %s failed (%s)", path, type(exc).__name__)
            raise FleetError("error.load", str(exc)) from None
        except ValidationError as exc:
            log.warning("fleet: GET %s answered something else: %s", path, invalid_text(exc))
            raise FleetError("error.load", invalid_text(exc)) from None

    async def load(self, sub_district: str | None = None) -> FleetView:
        """Reload everything; `sub_district` "" shows all (None keeps the current filter)."""
        if sub_district is not None:
            self.sub_district = sub_district
        everything = await self._get(OverviewList, "/api/v1/fleet/overview")
        points = [PointRow.of(p) for p in everything.root]
        districts = sorted({p.sub_district for p in points if p.sub_district})
        if self.sub_district:
            points = [p for p in points if p.sub_district == self.sub_district]
        due = await self._get(InspectionList, "/api/v1/fleet/inspections/due")
        orders = await self._get(WorkOrderList, "/api/v1/fleet/work-orders", state="open")
        self.view = FleetView(
            points=points,
            sub_districts=districts,
            inspections=[InspectionRow.of(i) for i in due.root],
            orders=[OrderRow.of(o) for o in orders.root],
        )
        return self.view

    async def history(self, point_id: int) -> list[VersionRow]:
        """A point's versions, newest first."""
        rows = await self._get(PointVersionList, f"/api/v1/fleet/points/{point_id}/history")
        return [VersionRow.of(r) for r in reversed(rows.root)]

    async def close_order(self, order_id: int, note: str) -> FleetView:
        """Close an open order with `note` (required), then reload."""
        if not note.strip():
            raise FleetError("error.note_required")
        try:
            body = request_json(CloseBody, note=note.strip())
            await self._client().post_json(f"/api/v1/fleet/work-orders/{order_id}/close", body)
        except HubError as exc:
            raise FleetError("error.close", str(exc)) from None
        return await self.load()
