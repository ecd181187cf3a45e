"""Hub database: migrations bring an empty database to the models' schema."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from backoffice_console.hub.accounts.models import ServicePoint
from backoffice_console.hub.db.base import Base
from backoffice_console.hub.db.engine import Database
from backoffice_console.hub.db.types import utcnow


async def check_migrations_create_the_models_schema(url: str) -> None:
    """Migrate an empty database at `url` twice; its schema must match the models exactly."""
    db = Database(url)
    try:
        await asyncio.wait_for(db.migrate(), 30)
        await asyncio.wait_for(db.migrate(), 30)  # a second run is a no-op

        def check(conn: Connection) -> None:
            tables = set(inspect(conn).get_table_names()) - {"alembic_version"}
            assert tables == set(Base.metadata.tables)
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert diff == []

        async with db.engine.connect() as conn:
            await conn.run_sync(check)
    finally:
        await db.dispose()


async def test_migrations_create_the_models_schema(tmp_path: Path) -> None:
    await check_migrations_create_the_models_schema(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}")


async def check_timestamps_come_back_timezone_aware_utc(url: str) -> None:
    """A +08:00 timestamp stored in an empty database at `url` reads back as that instant, UTC."""
    db = Database(url)
    try:
        await db.migrate()
        local = dt.datetime(2026, 1, 2, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        async with db.session() as s, s.begin():
            s.add(ServicePoint(name="p", created_at=local))
        async with db.session() as s:
            point = await s.get(ServicePoint, 1)
        assert point is not None
        assert point.created_at == local
        assert point.created_at.tzinfo is dt.UTC
        assert point.created_at.hour == 0
        assert utcnow().tzinfo is dt.UTC
    finally:
        await db.dispose()


async def test_timestamps_come_back_timezone_aware_utc(tmp_path: Path) -> None:
    await check_timestamps_come_back_timezone_aware_utc(
        f"sqlite+aiosqlite:///{tmp_path / 't.sqlite3'}"
    )
