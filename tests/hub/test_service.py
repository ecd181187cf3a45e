"""The hub as a systemd service: sd_notify (READY, WATCHDOG, STOPPING), file modes, logs.

A real `vw-hub serve` process is started under umask 022 with `NOTIFY_SOCKET` naming a
datagram socket this test owns and `WATCHDOG_USEC` set, as systemd would start it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import stat
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from shared.hubclient import HubClient, make_ssl_context
from tests.hub.test_cli import vw_hub

WAIT = 30.0
WATCHDOG_USEC = 400_000
INTERVAL = WATCHDOG_USEC / 1_000_000 / 2


class NotifySocket:
    """The service manager's end of the sd_notify protocol: collects the hub's datagrams."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.setblocking(False)

    async def next(self) -> str:
        """The next message (bounded wait)."""
        loop = asyncio.get_running_loop()
        data = await asyncio.wait_for(loop.sock_recv(self.sock, 4096), WAIT)
        return data.decode()

    async def until(self, prefix: str) -> list[str]:
        """Messages up to and including the first that starts with `prefix`."""
        seen = []
        while True:
            message = await self.next()
            seen.append(message)
            if message.startswith(prefix):
                return seen

    async def within(self, seconds: float) -> list[str]:
        """Every message that arrives in the next `seconds` (an absence check)."""
        seen = []
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while (left := end - loop.time()) > 0:
            try:
                seen.append(
                    (await asyncio.wait_for(loop.sock_recv(self.sock, 4096), left)).decode()
                )
            except TimeoutError:
                break
        return seen


@pytest.fixture
def notify(tmp_path: Path) -> NotifySocket:
    sock = NotifySocket(tmp_path / "notify.sock")
    yield sock  # type: ignore[misc]
    sock.sock.close()


async def _ignore(_: object) -> None:
    return None


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def _serve(home: Path, env_extra: dict[str, str]) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("VW_HUB")}
    env.pop("JOURNAL_STREAM", None)
    env.update(env_extra)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "backoffice_console.hub", "--config", str(home / "hub.toml"),
        "serve", "--port", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, umask=0o022,
    )  # fmt: skip


@pytest.fixture
async def hub_home(tmp_path: Path) -> AsyncIterator[Path]:
    home = tmp_path / "hub"
    old = os.umask(0o022)  # the children inherit the common umask
    try:
        rc, _, err = await vw_hub("init", "--dir", str(home))
        assert rc == 0, err
        yield home
    finally:
        os.umask(old)


async def test_ready_watchdog_freeze_and_stopping(
    hub_home: Path, notify: NotifySocket, tmp_path: Path
) -> None:
    fifo = tmp_path / "freeze.fifo"
    os.mkfifo(fifo)
    proc = await _serve(
        hub_home,
        {
            "NOTIFY_SOCKET": str(notify.path),
            "WATCHDOG_USEC": str(WATCHDOG_USEC),
            "VW_HUB_DEBUG_FREEZE_FIFO": str(fifo),
        },
    )
    try:
        ready = await notify.until("READY=1")
        assert ready[-1].startswith("READY=1\nSTATUS=listening on https://127.0.0.1:")
        assert ready[:-1] == []  # nothing before READY: WATCHDOG only once serving
        assert await notify.next() == "WATCHDOG=1"
        assert await notify.next() == "WATCHDOG=1"

        # The loop blocks (the debug hook reads a FIFO on the loop's own thread): the
        # watchdog must go quiet for longer than systemd's whole timeout.
        proc.send_signal(signal.SIGUSR2)
        await notify.until("STATUS=frozen")
        quiet = await notify.within(5 * INTERVAL)
        assert "WATCHDOG=1" not in quiet, quiet
        fifo.write_bytes(b"thaw")
        assert await notify.until("STATUS=thawed") == ["STATUS=thawed"]
        await notify.until("WATCHDOG=1")  # fed again once the loop runs

        proc.send_signal(signal.SIGTERM)
        await notify.until("STOPPING=1")
        assert await asyncio.wait_for(proc.wait(), WAIT) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_files_are_private_under_umask_022_and_logs_are_json(
    hub_home: Path, notify: NotifySocket
) -> None:
    rc, out, err = await vw_hub(
        "--config", str(hub_home / "hub.toml"), "enroll-code", "--point", "东湖社区",
        "--kiosk-name", "K1",
    )  # fmt: skip
    assert rc == 0, err
    proc = await _serve(
        hub_home,
        {
            "NOTIFY_SOCKET": str(notify.path),
            "VW_HUB__LOG_FORMAT": "json",
        },
    )
    try:
        url = (await notify.until("READY=1"))[-1].split("listening on ", 1)[1]
        client = HubClient(url, hub_home / "tls" / "ca.pem", _ignore)
        try:
            await asyncio.wait_for(client.enroll(out.strip(), "K1"), WAIT)  # an audited action
        finally:
            await client.close()
        ssl = make_ssl_context(hub_home / "tls" / "ca.pem")
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ssl)) as http:
            bad = {"username": "nobody", "password": "110101199003077777"}
            async with http.post(f"{url}/api/v1/auth/login", json=bad) as resp:
                assert resp.status == 401
        for extra in ("-wal", "-shm"):  # present while the hub holds the database open
            path = hub_home / f"hub.sqlite3{extra}"
            assert _mode(path) == 0o600, f"{path}: {oct(_mode(path))}"
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), WAIT) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    private = [
        hub_home / "hub.sqlite3",
        hub_home / "keys" / "identity.key",
        hub_home / "tls" / "server.key",
        hub_home / "tls" / "ca.key",
    ]
    for path in private:
        assert _mode(path) == 0o600, f"{path}: {oct(_mode(path))}"
    logs = hub_home / "log"
    assert _mode(logs / "hub.log") == 0o640
    assert _mode(logs / "hub-security.log") == 0o640
    records = [json.loads(line) for line in (logs / "hub.log").read_text().splitlines()]
    assert {"time", "level", "logger", "message"} <= set(records[0])
    assert any(r["message"].startswith("listening on") for r in records)
    security = (logs / "hub-security.log").read_text()
    assert "failed login" in security
    assert "audit device.enroll by" in security  # every audit row is copied there
    assert "110101199003077777" not in (logs / "hub.log").read_text() + security


async def test_stderr_under_journald_has_priorities_and_no_timestamps(hub_home: Path) -> None:
    proc = await _serve(hub_home, {"JOURNAL_STREAM": "8:12345"})
    try:
        assert proc.stderr is not None
        line = (await asyncio.wait_for(proc.stderr.readline(), WAIT)).decode()
        while "listening on" not in line:
            line = (await asyncio.wait_for(proc.stderr.readline(), WAIT)).decode()
        assert line.startswith("<6>backoffice_console.hub.server: listening on"), line
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), WAIT) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
