"""Test-wide set-up: headless Qt with two virtual screens, and an output folder for screenshots."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TEST_OUTPUT = REPO / "var" / "test-output"

# Two virtual screens like the kiosk's: the resident-facing one and the touch one.
SCREENS = {
    "screens": [
        {
            "name": "face",
            "x": 0,
            "y": 0,
            "width": 1280,
            "height": 720,
            "logicalDpi": 96,
            "logicalBaseDpi": 96,
            "dpr": 1,
        },
        {
            "name": "touch",
            "x": 1280,
            "y": 0,
            "width": 1280,
            "height": 720,
            "logicalDpi": 96,
            "logicalBaseDpi": 96,
            "dpr": 1,
        },
    ]
}


def _screens_file() -> Path:
    path = Path(tempfile.gettempdir()) / f"vw-test-screens-{os.getpid()}.json"
    path.write_text(json.dumps(SCREENS))
    return path


# Must be set before any QApplication exists (pytest-qt creates it lazily).
os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_screens_file()}"
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
