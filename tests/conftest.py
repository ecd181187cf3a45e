"""Test-wide set-up: headless Qt with two virtual screens, and an output folder for screenshots."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from backoffice_console.hub.accounts import secrets as auth
from scripts.stack import offscreen_platform

REPO = Path(__file__).resolve().parent.parent
TEST_OUTPUT = REPO / "var" / "test-output"

# Must be set before any QApplication exists (pytest-qt creates it lazily).
# Two virtual screens like the kiosk's: the resident-facing one ("face") and the touch one.
_SCREENS_DIR = Path(tempfile.mkdtemp(prefix="vw-test-screens-"))
os.environ["QT_QPA_PLATFORM"] = offscreen_platform(_SCREENS_DIR)
os.environ.setdefault("QT_QPA_FONTDIR", "/usr/share/fonts")
os.environ["VW_TEST_OUTPUT"] = str(TEST_OUTPUT)


_SESSION_STARTED = time.time()
_SYSTEM_TESTS = Path(__file__).resolve().parent / "system"


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--system`: run tests/system (build the .deb files, install them in a fresh root)."""
    parser.addoption(
        "--system",
        action="store_true",
        help="run the system tests in tests/system (make system-test); skipped from collection "
        "otherwise, so `make test` stays fast",
    )


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave tests/system out unless `--system` is given (it takes many minutes and root)."""
    if collection_path == _SYSTEM_TESTS and not config.getoption("--system"):
        return True
    return None


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id at a low cost in in-process hubs: no test here is about hashing cost.

    Each user and kiosk a test makes costs a full-cost hash (seconds on a loaded 2-core
    machine); hubs started as processes (the end-to-end tests) keep the real cost.
    """
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any log file it produced holds a full ID number.

    The scan is tests/support/log_scan.py.
    """
    from tests.support.log_scan import find_leaks, known_numbers, log_files  # noqa: PLC0415

    roots = [TEST_OUTPUT, REPO / "var" / "stack" / "logs"]
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is not None:
        with contextlib.suppress(OSError, ValueError):
            roots.append(factory.getbasetemp())
    leaks = find_leaks(log_files(roots, _SESSION_STARTED - 1), known_numbers())
    if leaks:
        print("\nFULL ID NUMBERS IN LOG FILES (masked here):")
        for path, masked in leaks:
            print(f"  {path}: {masked}")
        session.exitstatus = 1


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
