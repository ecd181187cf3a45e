"""Devices of the fleet: each known by its serial for life, installed at one point at a time.

A move closes the device's stay at its point and opens one at the new point, so the
installation history is kept.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backoffice_console.hub.core.audit import audit_entry
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db import Database, iso, utcnow
from backoffice_console.hub.fleet.models import FleetDevice, FleetInstall
from backoffice_console.hub.fleet.store import require_point
from shared.protocol import ErrorCode


class FleetDevices:
    """Registers, moves and reads devices and their installations."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def register_device(
        self, point_id: int, kind: str, model: str, serial: str, who: Principal
    ) -> dict[str, Any]:
        """A new device installed at `point_id`; `conflict` if the serial is known."""
        try:
            async with self._db.session() as s, s.begin():
                await require_point(s, point_id)
                device = FleetDevice(kind=kind, model=model, serial=serial)
                s.add(device)
                await s.flush()
                s.add(
                    FleetInstall(
                        device_id=device.id, point_id=point_id, installed_by=who.subject_id
                    )
                )
                s.add(
                    audit_entry(
                        who, "fleet.device.register", device_id=device.id, point_id=point_id
                    )
                )
                device_id = device.id
        except IntegrityError:
            raise HubError(ErrorCode.CONFLICT, "a device with this serial is registered") from None
        return await self.device(device_id)

    async def move_device(self, device_id: int, point_id: int, who: Principal) -> dict[str, Any]:
        """Close the device's stay at its point and open one at `point_id` (history kept)."""
        async with self._db.session() as s, s.begin():
            await s.execute(
                select(FleetDevice.id)
                .where(FleetDevice.id == device_id)
                .with_for_update(key_share=True)
            )
            if await s.get(FleetDevice, device_id) is None:
                raise HubError(ErrorCode.NOT_FOUND, "no such device")
            await require_point(s, point_id)
            current = await s.scalar(
                select(FleetInstall).where(
                    FleetInstall.device_id == device_id, FleetInstall.removed_at.is_(None)
                )
            )
            if current is not None and current.point_id == point_id:
                raise HubError(ErrorCode.CONFLICT, "the device is already at this point")
            now = utcnow()
            if current is not None:
                current.removed_at = now
            s.add(
                FleetInstall(
                    device_id=device_id,
                    point_id=point_id,
                    installed_at=now,
                    installed_by=who.subject_id,
                )
            )
            s.add(
                audit_entry(
                    who,
                    "fleet.device.move",
                    device_id=device_id,
                    from_point=current.point_id if current else None,
                    to_point=point_id,
                )
            )
        return await self.device(device_id)

    async def device(self, device_id: int) -> dict[str, Any]:
        """A device with its installation history (oldest first)."""
        async with self._db.session() as s:
            device = await s.get(FleetDevice, device_id)
            if device is None:
                raise HubError(ErrorCode.NOT_FOUND, "no such device")
            stays = await s.scalars(
                select(FleetInstall)
                .where(FleetInstall.device_id == device_id)
                .order_by(FleetInstall.id)
            )
            history = [
                {
                    "point_id": i.point_id,
                    "installed_at": i.installed_at.isoformat(),
                    "removed_at": iso(i.removed_at),
                }
                for i in stays
            ]
        current = next((h["point_id"] for h in history if h["removed_at"] is None), None)
        return {
            "id": device.id,
            "kind": device.kind,
            "model": device.model,
            "serial": device.serial,
            "point_id": current,
            "history": history,
        }

    async def devices_at(self, point_id: int) -> list[dict[str, Any]]:
        """Devices installed at a point now."""
        async with self._db.session() as s:
            await require_point(s, point_id)
            ids = list(
                await s.scalars(
                    select(FleetInstall.device_id).where(
                        FleetInstall.point_id == point_id, FleetInstall.removed_at.is_(None)
                    )
                )
            )
        return [await self.device(i) for i in sorted(ids)]
