"""Fixtures for the kiosk tests: a real hub, the Qt set-up, and the device stacks.

- `hub`: a real hub on a loopback port with TLS (tests/support/hub_fixtures.py).
- `loop`, `themed`: an event loop of a test's own and the themed kiosk application
  (tests/support/qt_helpers.py).
- `cups_server`: the session's private cupsd (tests/support/cups_fixtures.py), for the
  printer, print and health tests.
- `pcscd`: the session's pcscd with the vpcd driver (tests/support/pcsc_fixtures.py), for
  the PC/SC and health tests.

Defined here once, the session-wide daemons start once however many folders use them.
"""

from __future__ import annotations

from tests.support.cups_fixtures import cups_server
from tests.support.hub_fixtures import hub_fixture
from tests.support.pcsc_fixtures import pcscd
from tests.support.qt_helpers import loop_fixture, themed_fixture

__all__ = ["cups_server", "hub_fixture", "loop_fixture", "pcscd", "themed_fixture"]
