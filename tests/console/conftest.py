"""Fixtures for the console tests: `hub`, a real hub for the desks and tabs to talk to.

The harness is in tests/support/hub_fixtures.py. The widget modules opt into the autouse
`styled_app` of tests/support/qt_helpers.py themselves, so it styles only their tests.
"""

from __future__ import annotations

from tests.support.hub_fixtures import hub_fixture

__all__ = ["hub_fixture"]  # the `hub` fixture, imported so pytest finds it
