"""What the identity domain tells the rest of the hub (see `core.events`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.core.principal import Principal
from shared.idcard.record import IdentityRecord


@dataclass(frozen=True)
class IdentityStored:
    """A resident's identity was stored in a session, inside that transaction (`s`)."""

    s: AsyncSession
    session_id: str
    record: IdentityRecord
    kiosk: Principal
