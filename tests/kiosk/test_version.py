"""`vw-kiosk --version` and `vw-health --version`: the installed distribution's version,
without a config file (a technician asks before anything is set up)."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("module", "prog"), [("kiosk", "vw-kiosk"), ("kiosk.health", "vw-health")])
def test_version_needs_no_config(module: str, prog: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", module, "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,  # no kiosk.toml here: the version needs none
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{prog} {metadata.version('remote-virtual-window')}"
