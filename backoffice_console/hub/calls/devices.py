"""Device commands between console and kiosk.

- `device.command` (officer): only the officer holding the session may send it;
  it is audited (`device.command`) and relayed to the session's kiosk.
- `device.progress` / `device.failed` (kiosk): relayed to the session's console;
  failures are audited with their code. A report names a command the hub relayed in
  that session; any other is refused (`bad_state`), never acknowledged.
- `identity.report` (kiosk) is the identity domain's (`identity/service.py`).
"""

from __future__ import annotations

import logging

from pydantic import BaseModel

from backoffice_console.hub.calls.events import DeviceRelayed
from backoffice_console.hub.calls.store import CallStore, SessionParties
from backoffice_console.hub.core.audit import AuditLog
from backoffice_console.hub.core.connections import Connection, Registry, ack, send_all
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.events import EventBus
from shared.protocol import (
    DeviceCommand,
    DeviceFailed,
    DeviceProgress,
    ErrorCode,
)

log = logging.getLogger(__name__)

KIOSK_DEVICE_MESSAGES = (DeviceProgress, DeviceFailed)
MAX_SESSIONS_TRACKED = 4096
MAX_COMMANDS_PER_SESSION = 1024
CONSOLE_DEVICE_MESSAGES = (DeviceCommand,)


class DeviceRelay:
    """Carries device commands and their outcomes; see the module docstring."""

    def __init__(
        self,
        calls: CallStore,
        registry: Registry,
        audit: AuditLog,
        bus: EventBus,
    ) -> None:
        self.calls = calls
        self.registry = registry
        self.audit = audit
        # Publishes DeviceRelayed for each relayed command and progress report.
        self.bus = bus
        self._issued: dict[str, set[str]] = {}
        """session id -> command ids relayed in it (in memory, bounded like `PendingOffers`)."""

    async def handle(self, conn: Connection, message: BaseModel) -> None:
        """Carry out one device message (already role-checked); raises `HubError`."""
        if isinstance(message, DeviceCommand):
            await self._command(conn, message)
        elif isinstance(message, DeviceProgress):
            parties = await self.calls.holder_check(message.session_id, conn.principal)
            self._check_issued(message.session_id, message.command_id)
            await ack(conn, message.id)
            await self._to_console(parties, message.model_copy(update={"id": None}))
            await self.bus.publish(DeviceRelayed(conn.principal, message))
        elif isinstance(message, DeviceFailed):
            parties = await self.calls.holder_check(message.session_id, conn.principal)
            self._check_issued(message.session_id, message.command_id)
            await self.audit.write(
                conn.principal,
                "device.failed",
                message.session_id,
                command_id=message.command_id,
                kind=message.kind,
                code=message.code.value,
                reason=message.reason,
            )
            await ack(conn, message.id)
            await self._to_console(parties, message.model_copy(update={"id": None}))
        else:  # pragma: no cover - the role check admits only the types above
            raise HubError(ErrorCode.FORBIDDEN, f"{type(message).__name__} is not a device message")

    async def _command(self, conn: Connection, message: DeviceCommand) -> None:
        parties = await self.calls.holder_check(message.session_id, conn.principal)
        kiosk = self.registry.kiosk(parties.kiosk_id)
        if not kiosk:
            raise HubError(ErrorCode.NOT_FOUND, "the session's kiosk is not connected")
        await self.audit.write(
            conn.principal,
            "device.command",
            message.session_id,
            command_id=message.command_id,
            kind=message.kind,
        )
        self._issue(message.session_id, message.command_id)
        await ack(conn, message.id)
        await send_all(kiosk, message.model_copy(update={"id": None}))
        log.info("%r: device command %s relayed", conn, message.kind)
        await self.bus.publish(DeviceRelayed(conn.principal, message))

    def _issue(self, session_id: str, command_id: str) -> None:
        commands = self._issued.pop(session_id, set())
        if len(commands) < MAX_COMMANDS_PER_SESSION:
            commands.add(command_id)
        self._issued[session_id] = commands  # most recent last
        while len(self._issued) > MAX_SESSIONS_TRACKED:
            del self._issued[next(iter(self._issued))]

    def _check_issued(self, session_id: str, command_id: str) -> None:
        if command_id not in self._issued.get(session_id, ()):
            raise HubError(ErrorCode.BAD_STATE, "no such device command in this session")

    async def _to_console(self, parties: SessionParties, message: BaseModel) -> None:
        await to_console(self.registry, parties, message)


async def to_console(registry: Registry, parties: SessionParties, message: BaseModel) -> None:
    """Send `message` to the console side of a session."""
    await send_all(registry.console_for(parties.session_id, parties.officer_id), message)
