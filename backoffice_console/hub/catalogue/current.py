"""The catalogue version a case is opened under, read inside the caller's transaction.

A case is opened inside `CallStore.take`'s transaction; on SQLite the hub has one
connection, so the catalogue must be read with that same session, never a second one
(`CatalogueStore.current()` opens its own). The hub seeds the sample at start-up, so a
running hub always has a current version.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.catalogue.models import CatalogueVersion
from shared.catalogue import Catalogue

_parsed: dict[str, Catalogue] = {}


async def current_in(s: AsyncSession) -> tuple[int, Catalogue] | tuple[None, None]:
    """The current stored version `(id, catalogue)`, or `(None, None)` on a bare database."""
    row = (
        await s.execute(
            select(CatalogueVersion.id, CatalogueVersion.sha256)
            .where(CatalogueVersion.current.is_(True))
            .order_by(CatalogueVersion.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None, None
    version_id, sha = row
    if sha not in _parsed:
        body = await s.scalar(
            select(CatalogueVersion.body).where(CatalogueVersion.id == version_id)
        )
        _parsed.clear()  # only the newest is worth keeping
        _parsed[sha] = Catalogue.model_validate_json(body or "")
    return version_id, _parsed[sha]
