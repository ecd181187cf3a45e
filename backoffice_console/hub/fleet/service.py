"""The fleet domain's service: its stores, and what it does when kiosks come and go.

- A kiosk's websocket presence is recorded for the technicians' overview: online at
  `core.ws.Connected`, offline at `core.ws.Disconnected` of its last connection.
  Recording it never breaks a connection (a failure is logged).
- A kiosk at a point that is closed today may not queue: the `calls.QueueJoining`
  listener refuses with `bad_state`.
- At start-up no kiosk is connected (all go offline), and points made by enrolment
  get their first version.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from backoffice_console.hub.calls import QueueJoining
from backoffice_console.hub.core.ws import Connected, Disconnected
from backoffice_console.hub.db import Database
from backoffice_console.hub.fleet.care import FleetCare
from backoffice_console.hub.fleet.devices import FleetDevices
from backoffice_console.hub.fleet.geojson import open_points
from backoffice_console.hub.fleet.points import FleetPoints

log = logging.getLogger(__name__)


class Fleet:
    """Service points and hours, devices, and their care (presence, health, orders)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.points = FleetPoints(db)
        self.devices = FleetDevices(db)
        self.care = FleetCare(db, self.points)

    async def start(self) -> None:
        """Start-up: nobody is connected yet; enrolled points get their first version."""
        await self.care.all_offline()
        added = await self.points.ensure_versions()
        if added:
            log.info("gave %d existing service points their first version", added)

    async def geojson(self) -> dict[str, Any]:
        """The government map's feed: points open today (`geojson.open_points`)."""
        await self.points.ensure_versions()
        return await open_points(self._db)

    # --- listeners ---------------------------------------------------------------

    async def on_queue_joining(self, event: QueueJoining) -> None:
        """Refuse queueing (`HubError` bad_state) when the kiosk's point is closed today."""
        await self.points.check_queue_open(event.kiosk)

    async def on_connected(self, event: Connected) -> None:
        """A kiosk's connection opened: it is online."""
        if event.conn.principal.is_kiosk:
            await self._presence(event.conn.principal.subject_id, True)

    async def on_disconnected(self, event: Disconnected) -> None:
        """A kiosk's last connection closed: it is offline."""
        if event.last and event.conn.principal.is_kiosk:
            await self._presence(event.conn.principal.subject_id, False)

    async def _presence(self, kiosk_id: int, online: bool) -> None:
        try:
            await self.care.presence(kiosk_id, online)
        except Exception:
            # Presence is for the technicians' overview; it must never break a connection.
            log.exception("kiosk %d: presence not recorded", kiosk_id)


FLEET_KEY = web.AppKey("fleet", Fleet)
