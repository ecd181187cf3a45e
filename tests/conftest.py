"""Test-wide set-up: headless Qt with two virtual screens, and an output folder for screenshots."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from scripts.stack import offscreen_platform

REPO = Path(__file__).resolve().parent.parent
TEST_OUTPUT = REPO / "var" / "test-output"

# Must be set before any QApplication exists (pytest-qt creates it lazily).
# Two virtual screens like the kiosk's: the resident-facing one ("face") and the touch one.
_SCREENS_DIR = Path(tempfile.mkdtemp(prefix="vw-test-screens-"))
os.environ["QT_QPA_PLATFORM"] = offscreen_platform(_SCREENS_DIR)
os.environ.setdefault("QT_QPA_FONTDIR", "/usr/share/fonts")
os.environ["VW_TEST_OUTPUT"] = str(TEST_OUTPUT)


@pytest.fixture
def test_output() -> Path:
    """Folder where tests save screenshots and reports for a person to look at."""
    TEST_OUTPUT.mkdir(parents=True, exist_ok=True)
    return TEST_OUTPUT


@pytest.fixture
def qt_env() -> dict[str, str]:
    """Environment for child processes that run Qt apps headless on the two virtual screens."""
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = os.environ["QT_QPA_PLATFORM"]
    return env
