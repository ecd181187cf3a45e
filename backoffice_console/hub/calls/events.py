"""What the calls domain tells the rest of the hub (see `core.events`)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.core.principal import Principal


@dataclass(frozen=True)
class QueueJoining:
    """A kiosk is about to queue; a listener refuses by raising `HubError`."""

    kiosk: Principal


@dataclass(frozen=True)
class SessionOpening:
    """A ticket was taken and its session row written, inside that transaction (`s`)."""

    s: AsyncSession
    session_id: str


@dataclass(frozen=True)
class CallTaken:
    """Both sides have been told of a new session (after `session.started`)."""

    session_id: str


@dataclass(frozen=True)
class DeviceRelayed:
    """A device command (console to kiosk) or progress report (kiosk to console) was relayed."""

    sender: Principal
    message: BaseModel


@dataclass(frozen=True)
class CallMoved:
    """A live call changed hands (to an officer, to a line's queue, or taken from it).

    Published inside the transfer's transaction (`s`); `officer_id` is the new
    officer, None while the call waits in a line's queue.
    """

    s: AsyncSession
    session_id: str
    actor: Principal
    officer_id: int | None
    detail: dict[str, object]


@dataclass(frozen=True)
class CallStateReported:
    """A side reported its media state (`connecting`, `connected`, `reconnecting`); announced."""

    session_id: str
    state: str
