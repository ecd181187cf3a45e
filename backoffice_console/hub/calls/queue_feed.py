"""The live queue on every screen: consoles get their view, kiosks their new place."""

from __future__ import annotations

import asyncio

from backoffice_console.hub.calls.policy import QueuePolicy
from backoffice_console.hub.core.connections import Registry, send_all
from backoffice_console.hub.core.principal import Principal
from shared.protocol import QueueSnapshot, QueueStatus


class QueueFeed:
    """Publishes the queue in served order (the installed `QueuePolicy` decides the order)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._policy: QueuePolicy | None = None
        # Serialises broadcasts so a slower, older snapshot never overtakes a newer one.
        self._lock = asyncio.Lock()

    @property
    def policy(self) -> QueuePolicy:
        """The queue rules; a hub without the routing domain has none."""
        if self._policy is None:
            raise RuntimeError("no queue policy: the routing domain is not set up")
        return self._policy

    def use_policy(self, policy: QueuePolicy) -> None:
        """Install the queue rules (routing does, at its set-up)."""
        self._policy = policy

    async def snapshot_for(self, who: Principal) -> QueueSnapshot:
        """The queue as `who` sees it now."""
        return await self.policy.snapshot_for(who)

    async def publish(self) -> None:
        """Send the queue to every console and new positions to the kiosks whose place changed."""
        async with self._lock:
            # Served order (routing rules); each officer sees the tickets of their lines.
            waiting = await self.policy.served()
            for watcher in self.registry.queue_watchers():
                await watcher.send(await self.policy.snapshot_for(watcher.principal, waiting))
            positions = self.registry.positions
            still_waiting = {info.ticket_id for _, info in waiting}
            for ticket_id in list(positions):
                if ticket_id not in still_waiting:
                    del positions[ticket_id]
            for place, (kiosk_id, info) in enumerate(waiting, start=1):
                if positions.get(info.ticket_id) == place:
                    continue
                positions[info.ticket_id] = place
                status = QueueStatus(
                    ticket_id=info.ticket_id, position=place, waiting_since=info.waiting_since
                )
                await send_all(self.registry.kiosk(kiosk_id), status)
