"""The audit chain and the log-in lifecycle on PostgreSQL: the SQLite tests again, on the
private cluster of tests/support/pg_fixtures.py (the `hub` fixture here is a hub on a fresh
PostgreSQL database). Concurrent writers there are really concurrent: two engines, many
connections, one chain.
"""

from __future__ import annotations

from tests.hub.accounts.test_sessions import (  # noqa: F401
    test_disabling_an_account_closes_its_socket_and_refuses_its_login,
    test_password_reset_forces_a_new_password_under_the_rules,
    test_refresh_rotates_and_a_reused_refresh_token_ends_the_login,
    test_revoking_a_kiosk_closes_its_socket_and_it_does_not_hammer_the_hub,
)
from tests.hub.core.test_audit import (  # noqa: F401
    test_a_deleted_row_and_a_cut_tail_are_found,
    test_a_rolled_back_transaction_leaves_no_gap,
    test_audit_api_pages_newest_first_filters_and_exports,
    test_concurrent_writers_of_two_hubs_keep_one_chain,
    test_the_chain_is_proved_and_a_changed_row_is_named,
)
from tests.hub.db.test_postgres import pg_hub_fixture, pg_template  # noqa: F401
from tests.support.pg_fixtures import pg_cluster  # noqa: F401
