"""Follow-ups, ratings and circulation on PostgreSQL: SQLite tests again, on the private
cluster of tests/pg_fixtures.py (the `hub` fixture here is a hub on a fresh PostgreSQL database).
"""

from __future__ import annotations

from tests.pg_fixtures import pg_cluster  # noqa: F401
from tests.test_circulation_hub import test_happy_path_from_point_to_resident  # noqa: F401
from tests.test_evaluation_hub import (  # noqa: F401
    test_skip_makes_follow_up_with_sms_to_the_recorded_phone,
)
from tests.test_hub_postgres import pg_hub_fixture, pg_template  # noqa: F401
