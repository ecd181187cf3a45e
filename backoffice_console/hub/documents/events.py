"""What the documents domain tells the rest of the hub (see `core.events`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class SlipIssued:
    """A transmittal slip was rendered and stored, inside that transaction (`s`).

    `code` is the slip number its QR code carries, `case_no` the case number
    printed on it, `items` the slip's items (JSON) and `location` the service
    point that issued it. Circulation opens the slip's circulation here (a
    reprint keeps the first).
    """

    s: AsyncSession
    session_id: str
    code: str
    case_no: str
    items: list[dict[str, Any]]
    location: str
