"""Fixtures for every hub test: `hub`, a real hub on a loopback port with TLS, on each database.

Every test that takes `hub` runs twice: on SQLite (the one-machine default) and on
PostgreSQL (a fresh database, copied from a migrated template, on the session's
private cluster of tests/support/pg_fixtures.py). `database_url` gives the same pair
to tests that run the hub's commands on a folder of their own. The harness and the
scripted clients are in tests/support/hub_fixtures.py; a module that needs another
hub defines its own `hub`, which wins.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.hub_fixtures import HubHarness, running_hub
from tests.support.pg_fixtures import PgCluster, pg_cluster, pg_template, pg_url

__all__ = ["pg_cluster", "pg_template", "pg_url"]  # session fixtures, imported so pytest finds them

DATABASES = ["sqlite", "postgresql"]


@pytest.fixture(params=DATABASES)
def database_url(
    request: pytest.FixtureRequest, pg_cluster: PgCluster, pg_template: str
) -> str | None:
    """None for the default SQLite file in the hub's folder, else a fresh migrated PostgreSQL."""
    if request.param == "sqlite":
        return None
    return pg_cluster.url(pg_cluster.create_database("hub", template=pg_template))


@pytest.fixture(name="hub")
async def hub_on_each_database(
    tmp_path: Path, database_url: str | None
) -> AsyncIterator[HubHarness]:
    """A real hub (TLS, loopback) on SQLite, then on PostgreSQL."""
    async with running_hub(tmp_path / "hub", database_url=database_url) as harness:
        expected = "sqlite" if database_url is None else "postgresql"
        assert harness.hub.db.engine.dialect.name == expected
        yield harness
