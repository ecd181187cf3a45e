"""shared.ui.runtime: a qasync app stops cleanly with exit code 0 on SIGTERM and SIGINT."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

APP = """
import sys
from shared.ui.runtime import run_app, wait_quit_requested
from PySide6.QtWidgets import QLabel

async def main(app):
    label = QLabel("开始办理")
    label.show()
    print("ready", flush=True)
    reason = await wait_quit_requested()
    print("quit", reason, flush=True)
    label.close()
    return 0

sys.exit(run_app(sys.argv, main, "runtime-test"))
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_app_with_zero(sig: signal.Signals, qt_env: dict[str, str]) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", APP],
        env=qt_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        # The app idles in its Qt loop first: the wakeup fd must still deliver the signal.
        time.sleep(0.3)  # not a wait: an idle app is the case under test
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    assert proc.returncode == 0, err
    assert f"quit {sig.name}" in out
