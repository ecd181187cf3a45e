"""The fleet registry on PostgreSQL: a few of the SQLite flow tests again, with the hub of
tests/hub/db/test_postgres.py (a fresh database on the private cluster per test)."""

from __future__ import annotations

from tests.hub.db.test_postgres import pg_hub_fixture, pg_template  # noqa: F401
from tests.hub.fleet.test_registry import (  # noqa: F401
    test_history_as_of_today_and_tomorrow,
)
from tests.hub.fleet.test_routes import (  # noqa: F401
    test_closed_point_refuses_queueing_while_the_running_call_goes_on,
    test_failed_printer_opens_one_work_order_closed_with_note,
)
from tests.support.pg_fixtures import pg_cluster  # noqa: F401
