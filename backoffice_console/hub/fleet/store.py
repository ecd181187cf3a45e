"""Queries the fleet's parts share: a point that must exist, the versions valid on a day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.accounts import ServicePoint
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.fleet.models import FleetPointVersion
from shared.protocol import ErrorCode


async def require_point(s: AsyncSession, point_id: int) -> None:
    """`not_found` unless the service point exists."""
    if await s.get(ServicePoint, point_id) is None:
        raise HubError(ErrorCode.NOT_FOUND, "no such service point")


def as_of(day: dt.date) -> Any:
    """The SQL condition "this version is valid on `day`"."""
    return (FleetPointVersion.valid_from <= day) & or_(
        FleetPointVersion.valid_to.is_(None), FleetPointVersion.valid_to > day
    )
