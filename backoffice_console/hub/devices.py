"""Device commands between console and kiosk, and the identities they bring in.

- `device.command` (officer): only the officer holding the session may send it;
  it is audited (`device.command`) and relayed to the session's kiosk.
- `device.progress` / `device.failed` (kiosk): relayed to the session's console;
  failures are audited with their code.
- `identity.report` (kiosk): validated, stored encrypted, audited
  (`identity.store`) and turned into a masked `identity.update` for the console.
  An invalid identity is refused with `invalid_identity`, nothing is stored, and
  when it answered a command the console gets `device.failed` (`invalid_card`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from pydantic import BaseModel

from backoffice_console.hub.accounts import Principal
from backoffice_console.hub.calls import CallStore, SessionParties
from backoffice_console.hub.errors import HubError
from backoffice_console.hub.identity import (
    IdentityStore,
    InvalidIdentity,
    identity_update,
    validate_identity,
)
from backoffice_console.hub.registry import Connection, Registry, send_all
from shared.protocol import (
    Ack,
    DeviceCommand,
    DeviceErrorCode,
    DeviceFailed,
    DeviceProgress,
    ErrorCode,
    IdentityReport,
)

log = logging.getLogger(__name__)

KIOSK_DEVICE_MESSAGES = (DeviceProgress, DeviceFailed, IdentityReport)
CONSOLE_DEVICE_MESSAGES = (DeviceCommand,)


class DeviceRelay:
    """Carries device commands and their outcomes; see the module docstring."""

    def __init__(self, calls: CallStore, registry: Registry, identities: IdentityStore) -> None:
        self.calls = calls
        self.registry = registry
        self.identities = identities
        # Told of each relayed command and progress report (the case timeline listens).
        self.observers: list[Callable[[Principal, BaseModel], Awaitable[None]]] = []

    async def handle(self, conn: Connection, message: BaseModel) -> None:
        """Carry out one device message (already role-checked); raises `HubError`."""
        if isinstance(message, DeviceCommand):
            await self._command(conn, message)
        elif isinstance(message, DeviceProgress):
            parties = await self.calls.holder_check(message.session_id, conn.principal)
            await _ack(conn, message.id)
            await self._to_console(parties, message.model_copy(update={"id": None}))
            for observer in self.observers:
                await observer(conn.principal, message)
        elif isinstance(message, DeviceFailed):
            parties = await self.calls.holder_check(message.session_id, conn.principal)
            await self.calls.audit(
                conn.principal,
                "device.failed",
                message.session_id,
                command_id=message.command_id,
                kind=message.kind,
                code=message.code.value,
                reason=message.reason,
            )
            await _ack(conn, message.id)
            await self._to_console(parties, message.model_copy(update={"id": None}))
        elif isinstance(message, IdentityReport):
            await self._identity(conn, message)
        else:  # pragma: no cover - the role check admits only the types above
            raise HubError(ErrorCode.FORBIDDEN, f"{type(message).__name__} is not a device message")

    async def _command(self, conn: Connection, message: DeviceCommand) -> None:
        parties = await self.calls.holder_check(message.session_id, conn.principal)
        kiosk = self.registry.kiosk(parties.kiosk_id)
        if not kiosk:
            raise HubError(ErrorCode.NOT_FOUND, "the session's kiosk is not connected")
        await self.calls.audit(
            conn.principal,
            "device.command",
            message.session_id,
            command_id=message.command_id,
            kind=message.kind,
        )
        await _ack(conn, message.id)
        await send_all(kiosk, message.model_copy(update={"id": None}))
        log.info("%r: device command %s relayed", conn, message.kind)
        for observer in self.observers:
            await observer(conn.principal, message)

    async def _identity(self, conn: Connection, message: IdentityReport) -> None:
        parties = await self.calls.holder_check(message.session_id, conn.principal)
        try:
            record = validate_identity(message.record)
        except InvalidIdentity as exc:
            await self.calls.audit(
                conn.principal,
                "identity.refused",
                message.session_id,
                command_id=message.command_id,
                reason=exc.reason,
            )
            if message.command_id is not None:
                failed = DeviceFailed(
                    session_id=message.session_id,
                    command_id=message.command_id,
                    kind="idcard.read",
                    code=DeviceErrorCode.INVALID_CARD,
                    reason=exc.reason,
                    message="the kiosk sent an invalid identity",
                )
                await self._to_console(parties, failed)
            raise
        identity_id = await self.identities.store(
            message.session_id, message.command_id, record, conn.principal
        )
        await _ack(conn, message.id)
        update = identity_update(message.session_id, identity_id, message.command_id, record)
        await self._to_console(parties, update)
        log.info("%r: identity %d stored (%s)", conn, identity_id, record.source.value)

    async def _to_console(self, parties: SessionParties, message: BaseModel) -> None:
        await send_all(self.registry.console_for(parties.session_id, parties.officer_id), message)


async def _ack(conn: Connection, request_id: str | None) -> None:
    if request_id is not None:
        await conn.send(Ack(re=request_id))
