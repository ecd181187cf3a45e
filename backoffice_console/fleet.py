"""设备运维 for admins and technicians, without Qt: the fleet, a point's history, due inspections,
open work orders, closing an order with a note. Talks to the hub's `/api/v1/fleet/...` API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from backoffice_console.model import KeyedError
from shared.hubclient import HubError

log = logging.getLogger(__name__)

FLEET_ROLES = ("admin", "technician")


class FleetHub(Protocol):
    """What the controller needs of a logged-in hub client."""

    async def get_json(self, path: str, **params: str) -> Any: ...
    async def post_json(self, path: str, payload: dict[str, Any]) -> Any: ...


class FleetError(KeyedError):
    """A failed fleet action; `key` is a text in the `fleet` i18n domain."""


def _when(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class KioskRow:
    """One kiosk in the fleet list."""

    kiosk_id: int
    name: str
    online: bool
    since: datetime | None
    failed: tuple[str, ...]


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

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> PointRow:
        """Parse one overview entry."""
        kiosks = tuple(
            KioskRow(
                int(k["id"]),
                str(k.get("name", "")),
                bool(k.get("online")),
                _when(k.get("since")),
                tuple(str(p) for p in k.get("failed", [])),
            )
            for k in item.get("kiosks", [])
        )
        return cls(
            point_id=int(item["point_id"]),
            name=str(item.get("name", "")),
            kind=str(item.get("kind", "")),
            sub_district=str(item.get("sub_district", "")),
            address=str(item.get("address", "")),
            status=str(item.get("status", "open")),
            kiosks=kiosks,
            failed_parts=tuple(str(p) for p in item.get("failed_parts", [])),
            open_orders=int(item.get("open_orders", 0)),
            offline_since=_when(item.get("offline_since")),
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
    def from_api(cls, item: dict[str, Any]) -> VersionRow:
        """Parse one history entry."""
        return cls(
            str(item["valid_from"]),
            item.get("valid_to"),
            str(item.get("name", "")),
            str(item.get("address", "")),
            str(item.get("status", "")),
            str(item.get("reason", "")),
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
    def from_api(cls, item: dict[str, Any]) -> InspectionRow:
        """Parse one due-list entry."""
        return cls(
            int(item["id"]),
            str(item.get("point_name", "")),
            str(item.get("title", "")),
            str(item.get("due_on", "")),
            bool(item.get("overdue")),
            len(item.get("checklist", [])),
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
    def from_api(cls, item: dict[str, Any]) -> OrderRow:
        """Parse one work order."""
        kiosk = item.get("kiosk_id")
        return cls(
            int(item["id"]),
            str(item.get("point_name", "")),
            int(kiosk) if kiosk is not None else None,
            item.get("part"),
            str(item.get("source", "")),
            str(item.get("summary", "")),
            _when(item.get("opened_at")),
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

    async def _get(self, path: str, **params: str) -> Any:
        try:
            return await self._client().get_json(path, **params)
        except HubError as exc:
            log.info("fleet: GET %s failed (%s)", path, type(exc).__name__)
            raise FleetError("error.load", str(exc)) from None

    async def load(self, sub_district: str | None = None) -> FleetView:
        """Reload everything; `sub_district` "" shows all (None keeps the current filter)."""
        if sub_district is not None:
            self.sub_district = sub_district
        everything = await self._get("/api/v1/fleet/overview")
        points = [PointRow.from_api(p) for p in everything if isinstance(p, dict)]
        districts = sorted({p.sub_district for p in points if p.sub_district})
        if self.sub_district:
            points = [p for p in points if p.sub_district == self.sub_district]
        due = await self._get("/api/v1/fleet/inspections/due")
        orders = await self._get("/api/v1/fleet/work-orders", state="open")
        self.view = FleetView(
            points=points,
            sub_districts=districts,
            inspections=[InspectionRow.from_api(i) for i in due if isinstance(i, dict)],
            orders=[OrderRow.from_api(o) for o in orders if isinstance(o, dict)],
        )
        return self.view

    async def history(self, point_id: int) -> list[VersionRow]:
        """A point's versions, newest first."""
        rows = await self._get(f"/api/v1/fleet/points/{point_id}/history")
        return [VersionRow.from_api(r) for r in reversed(rows) if isinstance(r, dict)]

    async def close_order(self, order_id: int, note: str) -> FleetView:
        """Close an open order with `note` (required), then reload."""
        if not note.strip():
            raise FleetError("error.note_required")
        try:
            await self._client().post_json(
                f"/api/v1/fleet/work-orders/{order_id}/close", {"note": note.strip()}
            )
        except HubError as exc:
            raise FleetError("error.close", str(exc)) from None
        return await self.load()
