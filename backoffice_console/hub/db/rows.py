"""Two small helpers for the conditional UPDATEs and row locks that keep races right."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult, select
from sqlalchemy.ext.asyncio import AsyncSession


def rowcount(result: Any) -> int:
    """How many rows an UPDATE or DELETE touched (who won a race)."""
    assert isinstance(result, CursorResult)
    return result.rowcount


async def lock_row(s: AsyncSession, model: Any, row_id: int) -> None:
    """Hold `model`'s row `row_id` until the transaction ends (PostgreSQL FOR NO KEY UPDATE).

    Serialises read-then-write steps for one kiosk or officer; SQLite has no row
    locks (and needs none: the hub's single connection already runs one at a time).
    """
    await s.execute(select(model.id).where(model.id == row_id).with_for_update(key_share=True))
