"""The kiosk under systemd's notify protocol: READY, a watchdog fed by the Qt loop, STOPPING.

The test owns the `NOTIFY_SOCKET` (a unix datagram socket in its tmp folder) and passes
`WATCHDOG_USEC` as systemd would. It freezes the kiosk's Qt thread through the hook in
tests/support/frozen_kiosk.py and checks that the WATCHDOG=1 messages stop for longer
than the watchdog timeout (systemd would then kill and restart the kiosk), and come back
once the loop turns again.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kiosk.test_process import _config

WATCHDOG_USEC = 1_000_000
"""systemd's timeout (1 s): the kiosk must send WATCHDOG=1 every 0.5 s."""


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, Path]]:
    """A datagram socket standing where systemd's notify socket would."""
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    try:
        yield sock, path
    finally:
        sock.close()


def _next_message(sock: socket.socket, timeout: float) -> str | None:
    """The next datagram, or None when none arrives within `timeout` seconds."""
    sock.settimeout(timeout)
    try:
        return sock.recv(4096).decode("utf-8")
    except TimeoutError:
        return None


def _wait_for(sock: socket.socket, prefix: str, timeout: float) -> list[str]:
    """Every message up to and including the first that starts with `prefix`."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = _next_message(sock, max(0.01, deadline - time.monotonic()))
        if message is None:
            break
        seen.append(message)
        if message.startswith(prefix):
            return seen
    raise AssertionError(f"no {prefix!r} within {timeout} s; got {seen}")


def _drain(sock: socket.socket) -> list[str]:
    """Messages already waiting in the socket."""
    sock.setblocking(False)
    got = []
    try:
        while True:
            got.append(sock.recv(4096).decode("utf-8"))
    except BlockingIOError:
        return got
    finally:
        sock.setblocking(True)


def _wait_path(path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_ready_watchdog_freeze_and_stopping(
    tmp_path: Path, qt_env: dict[str, str], notify_socket: tuple[socket.socket, Path]
) -> None:
    sock, path = notify_socket
    release, mark = tmp_path / "freeze-while", tmp_path / "frozen"
    env = {
        **qt_env,
        "NOTIFY_SOCKET": str(path),
        "WATCHDOG_USEC": str(WATCHDOG_USEC),
        "VW_TEST_FREEZE_WHILE": str(release),
        "VW_TEST_FROZEN_MARK": str(mark),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.frozen_kiosk", "--config", str(_config(tmp_path)),
         "run"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        ready = _wait_for(sock, "READY=1", 60)
        assert not any(m.startswith("STOPPING") for m in ready)
        for _ in range(3):  # fed, again and again, while the loop turns
            assert _wait_for(sock, "WATCHDOG=1", 5)[-1] == "WATCHDOG=1"

        release.touch()
        proc.send_signal(signal.SIGUSR1)
        _wait_path(mark, 10)
        _drain(sock)  # sent before the freeze began
        # Frozen: nothing for twice systemd's timeout (systemd gives up after one).
        silent = _next_message(sock, 2 * WATCHDOG_USEC / 1e6)
        assert silent is None, f"the watchdog was fed by a frozen UI: {silent!r}"

        release.unlink()
        assert _wait_for(sock, "WATCHDOG=1", 5)[-1] == "WATCHDOG=1"  # alive again

        proc.send_signal(signal.SIGTERM)
        _wait_for(sock, "STOPPING=1", 20)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "quit requested (SIGTERM)" in err
    finally:
        release.unlink(missing_ok=True)
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
