"""Helpers for the end-to-end tests: a whole stack under a temporary folder."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scripts.stack import Child, Stack, read_report


@contextmanager
def running_stack(
    root: Path, env: dict[str, str], prefix: list[str] | None = None
) -> Iterator[Stack]:
    """A hub initialised and serving under `root`; everything is stopped afterwards.

    The hub checks every reply against its declared model (`check_replies`).
    """
    env = {**env, "VW_HUB__CHECK_REPLIES": "true"}
    stack = Stack(root=root, env=env, python=sys.executable, prefix=prefix or [])
    stack.init_hub()
    stack.start_hub()
    try:
        yield stack
    finally:
        stack.stop_all()


def run_call(
    stack: Stack, out: Path, call_seconds: float, timeout: float = 120.0
) -> tuple[Child, Child, dict[str, Any], dict[str, Any]]:
    """A console on autopilot takes the ticket of a kiosk on autopilot; waits for both to exit."""
    out.mkdir(parents=True, exist_ok=True)
    kiosk_report, console_report = out / "kiosk-report.json", out / "console-report.json"
    kiosk_config = stack.enroll_kiosk()
    console = stack.start_console(
        stack.console_config(), "--autopilot", "--report", str(console_report),
        "--screenshots", str(out), "--timeout", str(timeout),
    )  # fmt: skip
    kiosk = stack.start_kiosk(
        kiosk_config, "--autopilot", "--call-seconds", str(call_seconds),
        "--report", str(kiosk_report), "--screenshots", str(out), "--timeout", str(timeout),
    )  # fmt: skip
    kiosk.wait(timeout + 30)
    console.wait(60)
    return kiosk, console, read_report(kiosk_report), read_report(console_report)


def hub_db(stack: Stack) -> sqlite3.Connection:
    """The hub's SQLite database, read-only."""
    path = stack.hub_dir / "hub.sqlite3"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def logs_of(stack: Stack) -> str:
    """Everything the stack's processes wrote to their logs, for assertion messages."""
    texts = []
    for path in sorted(stack.log_dir.glob("*")):
        texts.append(f"==== {path.name}\n{path.read_text(errors='replace')[-4000:]}")
    return "\n".join(texts)


class Namespace:
    """A network namespace of the test's own, with loopback up; UDP can be dropped in it."""

    def __init__(self) -> None:
        self.name = f"vw-test-{uuid.uuid4().hex[:8]}"

    @staticmethod
    def available() -> str | None:
        """None when namespaces and nftables work here, else the reason they do not."""
        if shutil.which("ip") is None or shutil.which("nft") is None:
            return "ip or nft is not installed"
        probe = f"vw-probe-{uuid.uuid4().hex[:6]}"
        result = subprocess.run(["ip", "netns", "add", probe], capture_output=True, check=False)
        if result.returncode != 0:
            return f"cannot create a network namespace: {result.stderr.decode().strip()}"
        subprocess.run(["ip", "netns", "del", probe], check=False)
        return None

    def _sh(self, *args: str) -> None:
        subprocess.run(args, check=True, capture_output=True)

    def __enter__(self) -> Namespace:
        self._sh("ip", "netns", "add", self.name)
        self._sh("ip", "-n", self.name, "link", "set", "lo", "up")
        self._sh("ip", "netns", "exec", self.name, "nft", "add", "table", "inet", "vw")
        self._sh(
            "ip", "netns", "exec", self.name, "nft", "add", "chain", "inet", "vw", "inp",
            "{ type filter hook input priority 0; }",
        )  # fmt: skip
        return self

    @property
    def prefix(self) -> list[str]:
        """Command prefix that runs a program inside the namespace."""
        return ["ip", "netns", "exec", self.name]

    def drop_udp(self) -> None:
        """Silently drop every UDP packet (the media path); TCP (the hub) keeps working."""
        self._sh(
            *self.prefix,
            "nft",
            "add",
            "rule",
            "inet",
            "vw",
            "inp",
            "meta",
            "l4proto",
            "udp",
            "drop",
        )

    def restore_udp(self) -> None:
        """Let UDP through again."""
        self._sh(*self.prefix, "nft", "flush", "chain", "inet", "vw", "inp")

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["ip", "netns", "del", self.name], check=False, capture_output=True)


def wait_for(predicate: Any, timeout: float, interval: float = 0.25) -> bool:
    """Poll `predicate()` until it is truthy or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
