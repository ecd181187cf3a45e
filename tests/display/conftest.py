"""Fixtures for the apps on real display servers: one hub process and an enrolled kiosk.

The hub, kiosk and console are started the way the demo starts them (scripts/stack.py:
`vw-hub init`, an officer, an enrolment code, `vw-kiosk enroll`), with simulated devices;
all traffic stays on loopback. The display servers themselves are started by each test
(tests/support/display_servers.py).
"""

from __future__ import annotations

import os
import re
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scripts.stack import Child, Stack


@dataclass
class DemoStack:
    """A running hub, and the config of a kiosk enrolled with it."""

    stack: Stack
    kiosk_config: Path


@pytest.fixture(scope="package")
def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    """One hub for the display tests (a hub and its accounts take seconds to make)."""
    root = tmp_path_factory.mktemp("display-stack")
    stack = Stack(root=root, env=dict(os.environ), python=sys.executable)
    stack.init_hub()
    stack.start_hub()
    try:
        yield DemoStack(stack, stack.enroll_kiosk())
    finally:
        codes = stack.stop_all()
        assert all(code == 0 for code in codes.values()), codes


class NotifySocket:
    """A socket standing where systemd's NOTIFY_SOCKET would: the apps say READY=1 on it."""

    def __init__(self, folder: Path, name: str) -> None:
        self.path = folder / f"{name}.notify"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))

    def wait_ready(self, child: Child, timeout: float = 90.0) -> None:
        """Wait for READY=1; fail at once if the process exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if child.proc.poll() is not None:
                raise AssertionError(
                    f"{child.name} exited with {child.proc.returncode} before it was ready; "
                    f"see {child.log_path}:\n{child.log_path.read_text('utf-8', 'replace')[-3000:]}"
                )
            self.sock.settimeout(0.5)
            try:
                if b"READY=1" in self.sock.recv(4096):
                    return
            except TimeoutError:
                continue
        raise AssertionError(f"{child.name} never said READY=1 (see {child.log_path})")

    def close(self) -> None:
        self.sock.close()


def wait_log(child: Child, pattern: str, timeout: float = 60.0) -> None:
    """Wait until the process's output matches `pattern` (a regular expression)."""
    deadline = time.monotonic() + timeout
    while not re.search(pattern, child.log_path.read_text("utf-8", "replace")):
        if child.proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{child.name}: no {pattern!r} in {child.log_path}")
        time.sleep(0.1)


def start_app(
    stack: Stack, env: dict[str, str], name: str, notify: NotifySocket, *args: str
) -> Child:
    """Start the kiosk (`kiosk CONFIG`) or console (`console CONFIG`) on a display server."""
    saved = stack.env
    stack.env = {**saved, **env, "NOTIFY_SOCKET": str(notify.path)}
    try:
        if name.startswith("kiosk"):
            return stack.start_kiosk(Path(args[0]), *args[1:], name=name)
        return stack.start_console(Path(args[0]), *args[1:], name=name)
    finally:
        stack.env = saved
