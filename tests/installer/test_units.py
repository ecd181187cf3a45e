"""The installable unit and desktop files: `systemd-analyze verify`, `desktop-file-validate`.

`systemd-analyze verify` checks every key and that each ExecStart= program exists and is
executable. The user units name the packaged virtual environment (/opt/venvs/vw/bin),
which a development machine lacks (the packaging test installs the real one), so they are
verified with that prefix pointed at this checkout's own environment, whose entry points
are the same; everything else is verified as shipped. Any message at all (an unknown key
is only a warning to systemd) fails the test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INSTALLER = REPO / "installer"
PACKAGED_BIN = "/opt/venvs/vw/bin/"
SYSTEM_UNITS = [INSTALLER / "kiosk-session" / "vw-kiosk-session.service"]
USER_UNITS = [
    INSTALLER / "kiosk-session" / "vw-kiosk.service",
    INSTALLER / "console" / "vw-console.service",
]


def _verify(unit: Path, *, user: bool) -> subprocess.CompletedProcess[str]:
    cmd = ["systemd-analyze", *(["--user"] if user else []), "verify", "--man=no", str(unit)]
    with tempfile.TemporaryDirectory(prefix="vw-sd-") as runtime:
        # A --user verify starts a user manager, which needs a runtime folder.
        env = {**os.environ, "XDG_RUNTIME_DIR": runtime}
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("unit", SYSTEM_UNITS, ids=lambda p: p.name)
def test_system_unit_verifies(unit: Path) -> None:
    done = _verify(unit, user=False)
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), done


@pytest.mark.parametrize("unit", USER_UNITS, ids=lambda p: p.name)
def test_user_unit_verifies(unit: Path, tmp_path: Path) -> None:
    text = unit.read_text(encoding="utf-8")
    assert PACKAGED_BIN in text
    local_bin = Path(sys.executable).parent
    assert (local_bin / "vw-kiosk").exists(), "this checkout's environment has no entry points"
    copy = tmp_path / unit.name
    copy.write_text(text.replace(PACKAGED_BIN, f"{local_bin}/"), encoding="utf-8")
    done = _verify(copy, user=True)
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), done


def test_a_broken_unit_is_caught(tmp_path: Path) -> None:
    """The check itself: a misspelt key and a missing program are reported."""
    unit = tmp_path / "broken.service"
    unit.write_text("[Service]\nType=notify\nWatchdogSecs=30\nExecStart=/nonexistent/vw\n")
    done = _verify(unit, user=True)
    assert "WatchdogSecs" in done.stderr and "/nonexistent/vw" in done.stderr


def test_desktop_entry_validates() -> None:
    entry = INSTALLER / "console" / "vw-console.desktop"
    done = subprocess.run(
        ["desktop-file-validate", str(entry)], capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), done


def test_the_kiosk_app_finds_the_session_s_weston() -> None:
    """The user unit's WAYLAND_DISPLAY is the socket the session unit gives weston, and the
    session unit starts the user unit it names."""
    session = SYSTEM_UNITS[0].read_text(encoding="utf-8")
    app = USER_UNITS[0].read_text(encoding="utf-8")
    socket_name = re.search(r"--socket=(\S+)", session)
    assert socket_name is not None
    assert re.search(rf"WAYLAND_DISPLAY={re.escape(socket_name[1])}(\s|$)", app)
    assert "--config=/etc/vw-kiosk/weston.ini" in session
    assert re.search(r"restart vw-kiosk\.service", session)
    assert "QT_QPA_PLATFORM=wayland" in app
