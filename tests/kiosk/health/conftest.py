"""Fixture for the health tests: a scripted CUPS queue of one test's own (on the private cupsd
of tests/kiosk/conftest.py)."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support.cups_fixtures import CupsServer


@pytest.fixture
async def own_queue(cups_server: CupsServer, tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    """(queue name, state file) of a scripted CUPS queue of this test alone.

    The shared SCRIPTED queue stays untouched, so paper-out here never stalls another test.
    """
    name = f"HEALTH{uuid.uuid4().hex[:6]}"
    state = tmp_path / "printer" / "state"
    state.parent.mkdir()
    state.parent.chmod(0o755)
    state.write_text("ok")
    await asyncio.to_thread(
        cups_server.lpadmin, "-p", name, "-E", "-v", f"scripted:{state}", "-m", "raw"
    )
    yield name, state
    await asyncio.to_thread(
        subprocess.run, ["cancel", "-a", name], env=cups_server.env, capture_output=True, timeout=20
    )
    await asyncio.to_thread(cups_server.lpadmin, "-x", name)
