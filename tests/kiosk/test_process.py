"""The `vw-kiosk` process: clean exit on SIGTERM, autopilot timeout, clear start-up errors.

No hub runs here (the hub URL points at a closed loopback port); the real
end-to-end tour with hub and console is the lead's test.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

from shared.hubclient import DeviceCredential
from tests.support.waiting import wait_until


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(tmp_path: Path, enrolled: bool = True) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        f"""[hub]
url = "http://127.0.0.1:{_closed_port()}"
[kiosk]
name = "测试机"
log_dir = "logs"
[camera]
kind = "synthetic"
width = 160
height = 120
[rtc]
loopback = true
""",
        encoding="utf-8",
    )
    if enrolled:
        DeviceCredential(device_id=1, secret="s").save(tmp_path / "credential.json")
    return path


def _kiosk(config: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--config", str(config), "run", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str], timeout: float) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    return proc.returncode, err


def test_sigterm_exits_zero(tmp_path: Path, qt_env: dict[str, str]) -> None:
    proc = _kiosk(_config(tmp_path), qt_env)
    log_file = tmp_path / "logs" / "kiosk.log"

    def retrying() -> bool:  # up, offline, retrying the hub
        assert proc.poll() is None, "the kiosk exited before it was asked to"
        return log_file.exists() and "hub not reachable yet" in log_file.read_text("utf-8")

    wait_until(retrying, "the kiosk to try the hub", timeout=60)
    proc.send_signal(signal.SIGTERM)
    code, err = _finish(proc, 20)
    assert code == 0, err
    assert "quit requested (SIGTERM)" in err
    assert (tmp_path / "logs" / "kiosk.log").exists()


def test_autopilot_timeout_writes_report_and_exits_3(
    tmp_path: Path, qt_env: dict[str, str]
) -> None:
    report = tmp_path / "report.json"
    proc = _kiosk(
        _config(tmp_path), qt_env, "--autopilot", "--timeout", "2", "--report", str(report)
    )
    code, err = _finish(proc, 30)
    assert code == 3, err
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["app"] == "kiosk" and "timeout" in data["error"]
    assert data["session_id"] is None and data["frames_painted"] == 0


def test_not_enrolled_is_a_clear_error(tmp_path: Path, qt_env: dict[str, str]) -> None:
    code, err = _finish(_kiosk(_config(tmp_path, enrolled=False), qt_env), 20)
    assert code == 2
    assert "not enrolled" in err


def test_bad_config_is_a_clear_error(tmp_path: Path, qt_env: dict[str, str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[ui]\nlanguage = "fr"\n', encoding="utf-8")
    code, err = _finish(_kiosk(bad, qt_env), 20)
    assert code == 2
    assert "ui.language" in err
