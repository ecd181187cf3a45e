"""Follow-ups, ratings and circulation on PostgreSQL: SQLite tests again, on the private
cluster of tests/support/pg_fixtures.py (the `hub` fixture here is a hub on a fresh PostgreSQL
database).
"""

from __future__ import annotations

from tests.hub.circulation.test_routes import test_happy_path_from_point_to_resident  # noqa: F401
from tests.hub.db.test_postgres import pg_hub_fixture, pg_template  # noqa: F401
from tests.hub.evaluation.test_routes import (  # noqa: F401
    test_skip_makes_follow_up_with_sms_to_the_recorded_phone,
)
from tests.support.pg_fixtures import pg_cluster  # noqa: F401
