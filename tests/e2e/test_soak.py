"""Soak: a call of three minutes between the real apps, each under qasync.

This is the test that catches PySide6-Essentials 6.12 on CPython 3.11 (a lost
reference to None on every Qt-to-Python callback kills a process within about a
minute of call traffic), and any other slow leak of the event-loop integration.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.helpers import logs_of, run_call, running_stack

pytestmark = pytest.mark.slow

CALL_SECONDS = 180
FPS = 15  # the stack's synthetic cameras


@pytest.mark.timeout(CALL_SECONDS + 240)
def test_three_minute_call_under_qasync(tmp_path: Path, qt_env: dict[str, str]) -> None:
    with running_stack(tmp_path / "stack", qt_env) as stack:
        kiosk, console, k, c = run_call(
            stack, tmp_path / "out", call_seconds=CALL_SECONDS, timeout=CALL_SECONDS + 120
        )
        codes = stack.stop_all()
        context = logs_of(stack)
    assert (kiosk.proc.returncode, console.proc.returncode, codes["hub"]) == (0, 0, 0), context
    assert k["error"] is None and c["error"] is None, context
    # Frames kept coming for the whole call, at no less than 60% of the camera rate.
    expected = CALL_SECONDS * FPS * 0.6
    assert k["frames_received"] >= expected, k
    assert c["frames_received"] >= expected, c
    assert k["last_remote_frame_at"] - k["first_remote_frame_at"] >= CALL_SECONDS - 5, k
    # A quiet call on one machine never needs a reconnect.
    assert k["reconnects"] == 0 and c["reconnects"] == 0, (k, c)
