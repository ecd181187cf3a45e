"""What only PostgreSQL has: its migrations, and the races of several hubs on one database.

Every other hub test runs on both databases already (tests/hub/conftest.py); the tests
here need PostgreSQL itself, so this module's `hub` is a hub on PostgreSQL only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backoffice_console.hub.accounts.models import Kiosk, ServicePoint, User
from backoffice_console.hub.calls.models import CallSession, Ticket
from backoffice_console.hub.calls.store import CallStore
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.events import EventBus
from backoffice_console.hub.core.models import AuditEntry
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db.engine import Database
from shared.protocol import Role
from tests.hub.db.test_migrations import (
    check_migrations_create_the_models_schema,
    check_timestamps_come_back_timezone_aware_utc,
)
from tests.hub.identity.test_routes import in_call
from tests.hub.materials.test_routes import page_jpeg, upload
from tests.support.hub_fixtures import HubHarness, running_hub
from tests.support.pg_fixtures import PgCluster

WAIT = 10.0


@pytest.fixture(name="hub")
async def pg_hub_fixture(
    tmp_path: Path,
    pg_cluster: PgCluster,
    pg_template: str,
) -> AsyncIterator[HubHarness]:
    """A real hub (TLS, loopback) whose database is a fresh PostgreSQL database."""
    url = pg_cluster.url(pg_cluster.create_database("hub", template=pg_template))
    async with running_hub(tmp_path / "hub", database_url=url) as harness:
        assert harness.hub.db.engine.dialect.name == "postgresql"
        yield harness


async def test_migrations_create_the_models_schema_on_postgres(pg_url: str) -> None:
    await check_migrations_create_the_models_schema(pg_url)


async def test_timestamps_come_back_timezone_aware_utc_on_postgres(pg_url: str) -> None:
    await check_timestamps_come_back_timezone_aware_utc(pg_url)


async def test_concurrent_pages_of_one_session_get_distinct_numbers(hub: HubHarness) -> None:
    _, kiosk, sid = await in_call(hub)
    pages = [page_jpeg(seed) for seed in range(1, 7)]
    results = await asyncio.gather(*(upload(kiosk, sid, data) for data in pages))
    assert sorted(r["page_no"] for r in results) == [1, 2, 3, 4, 5, 6]
    assert len({r["material_id"] for r in results}) == 6


# --- two hub instances on one database: the races SQLite's single connection hides ----------


@pytest.fixture
async def two_hubs(
    pg_cluster: PgCluster,
    pg_template: str,
) -> AsyncIterator[tuple[CallStore, CallStore, Database]]:
    """Two CallStores on separate engines (two hub processes' worth) over one fresh database."""
    url = pg_cluster.url(pg_cluster.create_database("pair", template=pg_template))
    a, b = Database(url), Database(url)
    try:
        yield CallStore(a, EventBus()), CallStore(b, EventBus()), a
    finally:
        await a.dispose()
        await b.dispose()


async def _people(
    db: Database, kiosks: int, officers: int
) -> tuple[list[Principal], list[Principal]]:
    """Kiosk and officer rows made directly (no argon2: these tests are about the call store)."""
    async with db.session() as s, s.begin():
        point = ServicePoint(name="点")
        s.add(point)
        await s.flush()
        ks = [Kiosk(name=f"K{i}", point_id=point.id, secret_hash="-") for i in range(kiosks)]
        us = [
            User(username=f"o{i}", display_name=f"o{i}", password_hash="-", role="officer")
            for i in range(officers)
        ]
        s.add_all([*ks, *us])
        await s.flush()
        return (
            [Principal(Role.KIOSK, k.id, k.name, "点", k.name) for k in ks],
            [Principal(Role.OFFICER, u.id, u.display_name) for u in us],
        )


def _outcomes(results: Sequence[object]) -> tuple[int, list[str]]:
    """How many calls succeeded, and the error codes of the others (anything else re-raised)."""
    codes = []
    for result in results:
        if isinstance(result, HubError):
            codes.append(result.code.value)
        elif isinstance(result, BaseException):
            raise result
    return len(results) - len(codes), codes


async def test_two_instances_take_each_ticket_exactly_once(
    two_hubs: tuple[CallStore, CallStore, Database],
) -> None:
    first, second, db = two_hubs
    kiosks, officers = await _people(db, 8, 16)
    tickets = [(await first.join(k, None))[0] for k in kiosks]
    racers = []
    for i, ticket in enumerate(tickets):
        racers += [first.take(ticket, officers[2 * i]), second.take(ticket, officers[2 * i + 1])]
    results = await asyncio.wait_for(asyncio.gather(*racers, return_exceptions=True), WAIT)
    wins, codes = _outcomes(results)
    assert (wins, codes) == (8, ["conflict"] * 8)
    async with db.session() as s:
        sessions = list(await s.scalars(select(CallSession)))
        starts = await s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "session.start")
        )
    assert sorted(c.ticket_id for c in sessions) == sorted(tickets)
    assert starts == 8


async def test_one_officer_cannot_take_two_tickets_at_once(
    two_hubs: tuple[CallStore, CallStore, Database],
) -> None:
    first, second, db = two_hubs
    kiosks, officers = await _people(db, 16, 8)
    tickets = [(await first.join(k, None))[0] for k in kiosks]
    racers = [
        store.take(tickets[2 * i + j], officer)
        for i, officer in enumerate(officers)
        for j, store in enumerate((first, second))
    ]
    results = await asyncio.wait_for(asyncio.gather(*racers, return_exceptions=True), WAIT)
    wins, codes = _outcomes(results)
    assert (wins, codes) == (8, ["bad_state"] * 8)
    async with db.session() as s:
        per_officer = (
            await s.execute(
                select(CallSession.officer_id, func.count()).group_by(CallSession.officer_id)
            )
        ).all()
    assert sorted(n for _, n in per_officer) == [1] * 8


async def test_concurrent_joins_of_one_kiosk_make_one_ticket(
    two_hubs: tuple[CallStore, CallStore, Database],
) -> None:
    first, second, db = two_hubs
    kiosks, _ = await _people(db, 8, 0)
    for kiosk in kiosks:
        pair = asyncio.gather(
            first.join(kiosk, "m"), second.join(kiosk, "m"), return_exceptions=True
        )
        results = await asyncio.wait_for(pair, WAIT)
        (id_a, new_a), (id_b, new_b) = results  # type: ignore[misc]
        assert id_a == id_b and sorted([new_a, new_b]) == [False, True]
    async with db.session() as s:
        waiting = await s.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.state == "waiting")
        )
    assert waiting == 8
