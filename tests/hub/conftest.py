"""Fixtures for every hub test: `hub`, a real hub on a loopback port with TLS.

The harness itself and the scripted clients are in tests/support/hub_fixtures.py; a module
that needs another hub (the PostgreSQL reruns) defines its own `hub`, which wins.
"""

from __future__ import annotations

from tests.support.hub_fixtures import hub_fixture

__all__ = ["hub_fixture"]  # the `hub` fixture, imported so pytest finds it
