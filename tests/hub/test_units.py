"""The hub's systemd units: `systemd-analyze verify` and `security` on the files we ship.

The units name the packaged binary (/opt/venvs/vw/bin/vw-hub), which this machine does
not have, so they are checked inside a scratch root (`--root`) holding that path, the
system's own targets and slices, and the units themselves, as a packaged system would.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UNITS = REPO / "installer" / "systemd"
HUB_UNITS = ("vw-hub.service", "vw-hub-backup.service", "vw-hub-backup.timer")
SYSTEM = Path("/usr/lib/systemd/system")


def _analyze(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("systemd-analyze")
    assert exe is not None, "systemd-analyze is missing (the systemd package)"
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=120, check=False)


def _root(tmp_path: Path, units: dict[str, str]) -> Path:
    root = tmp_path / "root"
    for binary in ("opt/venvs/vw/bin/vw-hub", "usr/bin/install"):
        path = root / binary
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    system = root / "usr" / "lib" / "systemd" / "system"
    system.mkdir(parents=True)
    for item in (*SYSTEM.glob("*.target"), *SYSTEM.glob("*.slice")):
        shutil.copy(item, system / item.name, follow_symlinks=True)
    local = root / "etc" / "systemd" / "system"
    local.mkdir(parents=True)
    for name, text in units.items():
        (local / name).write_text(text)
    return root


def _verify(root: Path, name: str) -> subprocess.CompletedProcess[str]:
    return _analyze("verify", "--man=no", f"--root={root}", f"/etc/systemd/system/{name}")


def test_units_verify_and_a_broken_one_does_not(tmp_path: Path) -> None:
    texts = {name: (UNITS / name).read_text() for name in HUB_UNITS}
    root = _root(tmp_path, texts)
    for name in HUB_UNITS:
        done = _verify(root, name)
        assert done.returncode == 0 and done.stderr == "", (name, done.stderr)
    broken = texts["vw-hub.service"].replace("WatchdogSec=30s", "WatchdogSec=thirty")
    root = _root(tmp_path / "broken", {"vw-hub.service": broken})
    done = _verify(root, "vw-hub.service")
    assert "thirty" in done.stderr, done.stderr  # the misspelt value is reported


def test_hub_unit_is_watched_and_hardened(tmp_path: Path) -> None:
    text = (UNITS / "vw-hub.service").read_text()
    for line in (
        "Type=notify", "WatchdogSec=30s", "StateDirectory=vw-hub", "LogsDirectory=vw-hub",
        "ConfigurationDirectory=vw-hub", "User=vw-hub", "LimitNOFILE=65536",
        "ExecStart=/opt/venvs/vw/bin/vw-hub --config /etc/vw-hub/hub.toml serve",
    ):  # fmt: skip
        assert re.search(rf"^{re.escape(line)}$", text, re.M), line
    root = _root(tmp_path, {"vw-hub.service": text})
    done = _analyze("security", "--offline=true", f"--root={root}", "vw-hub.service")
    assert done.returncode == 0, done.stderr
    score = re.search(r"Overall exposure level for vw-hub.service: ([0-9.]+) (\w+)", done.stdout)
    assert score is not None, done.stdout[-500:]
    assert float(score.group(1)) <= 2.5 and score.group(2) == "OK", score.group(0)
