"""The real `vw-console` process (autopilot) against a real hub process and a scripted kiosk.

The kiosk here is a small asyncio script with the real HubClient and the real
CallPeer (offerer), so these tests check the console alone; the lead's
end-to-end test runs the real kiosk app as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared.hubclient import HubClient
from shared.media import VideoSourceConfig, open_video_source
from shared.protocol import QueueJoin, RtcAnswer, RtcOffer, SessionEnd, SessionEnded, SessionStarted
from shared.rtc import CallPeer, enable_loopback_mode
from tests.support.waiting import until

pytestmark = pytest.mark.slow

PY = sys.executable
PASSWORD = "officer-pass-123"


@dataclass
class Hub:
    """A running hub process and what a client needs to reach it."""

    url: str
    ca_file: Path
    config: Path
    enroll_code: str
    folder: Path


def _hub(args: list[str], config: Path | None = None) -> str:
    cmd = [PY, "-m", "backoffice_console.hub"]
    if config is not None:
        cmd += ["--config", str(config)]
    done = subprocess.run(cmd + args, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def hub_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """One hub process for this module's tests (starting one costs seconds)."""
    tmp_path = tmp_path_factory.mktemp("console-hub")
    folder = tmp_path / "hub"
    _hub(["init", "--dir", str(folder), "--port", "0"])
    config = folder / "hub.toml"
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    _hub(
        ["add-user", "--username", "wang", "--display-name", "王警官", "--role", "officer",
         "--password-file", str(tmp_path / "pw")],
        config,
    )  # fmt: skip
    proc = subprocess.Popen(
        [PY, "-m", "backoffice_console.hub", "--config", str(config), "serve"],
        env={**os.environ, "VW_HUB__CHECK_REPLIES": "true"},  # replies checked against the models
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        url = ""
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if "listening on" in line:
                url = line.split("listening on", 1)[1].strip()
                break
        assert url, "hub did not start"
        yield Hub(url, folder / "tls" / "ca.pem", config, "", tmp_path)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def hub(hub_server: Hub, tmp_path: Path) -> Hub:
    """The shared hub with a fresh enrolment code and a per-test folder."""
    kiosk_name = f"K{tmp_path.name[-6:]}"
    code = _hub(
        ["enroll-code", "--point", "东湖社区居委会", "--kiosk-name", kiosk_name], hub_server.config
    )
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    return Hub(
        hub_server.url,
        hub_server.ca_file,
        hub_server.config,
        code.strip().splitlines()[-1],
        tmp_path,
    )


def console_config(hub: Hub) -> Path:
    path = hub.folder / "console.toml"
    path.write_text(
        f'[hub]\nurl = "{hub.url}"\nca_file = "{hub.ca_file}"\n'
        '[console]\nlog_dir = "console-log"\n[rtc]\nloopback = true\n'
        "[camera]\nwidth = 320\nheight = 240\nfps = 15\n",
        encoding="utf-8",
    )
    return path


def start_console(hub: Hub, qt_env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PY, "-m", "backoffice_console", "--config", str(console_config(hub)),
         "--username", "wang", "--password-file", str(hub.folder / "pw"), "--autopilot",
         "--report", str(hub.folder / "console-report.json"),
         "--screenshots", str(hub.folder / "shots"), *extra],
        env=qt_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


@dataclass
class _KioskSignaling:
    client: HubClient
    session_id: str

    async def send_offer(self, sdp: str) -> None:
        await self.client.send(RtcOffer(session_id=self.session_id, sdp=sdp))

    async def send_answer(self, sdp: str) -> None:
        raise AssertionError("the kiosk never answers")


class ScriptedKiosk:
    """A kiosk that joins the queue and answers the call with real media, no UI."""

    def __init__(self, hub: Hub) -> None:
        self.hub_info = hub
        self.inbox: asyncio.Queue[Any] = asyncio.Queue()
        self.client = HubClient(hub.url, hub.ca_file, self._on_message)
        self.video = open_video_source(VideoSourceConfig(width=160, height=120, label="K"))
        self.peer: CallPeer | None = None
        self.session_id: str | None = None
        self.ended: SessionEnded | None = None
        self._pump: asyncio.Task[None] | None = None

    async def _on_message(self, message: Any) -> None:
        # Never block the hub reader: requests made from here would wait for acks it must read.
        self.inbox.put_nowait(message)

    async def start(self) -> None:
        credential = await self.client.enroll(self.hub_info.enroll_code, "K1")
        await self.client.login_device(credential)
        await self.client.connect()
        await self.video.start()
        self._pump = asyncio.ensure_future(self._run())
        await self.client.request(QueueJoin(matter="civil.dbsq"))

    async def _run(self) -> None:
        while True:
            message = await self.inbox.get()
            if isinstance(message, SessionStarted):
                self.session_id = message.session_id
                self.peer = CallPeer(
                    offerer=True,
                    ice_servers=[],
                    video=self.video,
                    signaling=_KioskSignaling(self.client, message.session_id),
                )
                await self.peer.start()
            elif isinstance(message, RtcAnswer) and self.peer is not None:
                await self.peer.handle_answer(message.sdp)
            elif isinstance(message, SessionEnded):
                self.ended = message

    async def hang_up(self) -> None:
        assert self.session_id is not None
        await self.client.request(SessionEnd(session_id=self.session_id))

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        if self.peer is not None:
            await self.peer.close()
        await self.client.close()
        await self.video.stop()


@contextlib.asynccontextmanager
async def kiosk(hub: Hub) -> AsyncIterator[ScriptedKiosk]:
    enable_loopback_mode()
    k = ScriptedKiosk(hub)
    try:
        await asyncio.wait_for(k.start(), 20)
        yield k
    finally:
        await asyncio.wait_for(k.close(), 20)


async def _exit_code(proc: subprocess.Popen[str], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("console did not exit")
        await asyncio.sleep(0.1)
    return proc.returncode


async def test_autopilot_takes_call_and_reports(hub: Hub, qt_env: dict[str, str]) -> None:
    console = start_console(hub, qt_env, "--timeout", "60")
    try:
        async with kiosk(hub) as k:
            await until(
                lambda: k.peer is not None and k.peer.remote_video.frames_received > 10,
                "video at the kiosk", timeout=40,
            )  # fmt: skip
            # The console shoots its call view a while after the first frame: hang up after.
            shot = hub.folder / "shots" / "console-call.png"
            await until(shot.exists, "the call's screenshot", 40)
            await k.hang_up()
            code = await _exit_code(console, 40)
    finally:
        if console.poll() is None:
            console.kill()
    stderr = console.stderr.read() if console.stderr else ""
    assert code == 0, stderr[-3000:]
    report = json.loads((hub.folder / "console-report.json").read_text())
    assert report["error"] is None
    assert report["session_id"] == k.session_id
    for key in ("logged_in_at", "took_at", "session_started_at", "first_connected_at",
                "first_remote_frame_at"):  # fmt: skip
        assert isinstance(report[key], float), key
    assert report["logged_in_at"] <= report["took_at"] <= report["session_started_at"]
    assert report["frames_received"] > 0 and report["frames_painted"] > 0
    assert report["ended_reason"] == "hangup" and report["ended_by"] == "kiosk"
    assert report["history_rows"] >= 1
    assert (hub.folder / "shots" / "console-call.png").stat().st_size > 1000
    assert (hub.folder / "shots" / "console-history.png").stat().st_size > 1000


async def test_sigterm_in_call_hangs_up_and_exits_zero(hub: Hub, qt_env: dict[str, str]) -> None:
    console = start_console(hub, qt_env, "--timeout", "60")
    try:
        async with kiosk(hub) as k:
            await until(lambda: k.peer is not None and k.peer.remote_video.frames_received > 5,
                        "video at the kiosk", 40)  # fmt: skip
            console.send_signal(signal.SIGTERM)
            code = await _exit_code(console, 20)
            await until(lambda: k.ended is not None, "the kiosk's end", 10)
    finally:
        if console.poll() is None:
            console.kill()
    assert code == 0
    assert k.ended is not None and k.ended.by is not None and k.ended.by.value == "officer"
    report = json.loads((hub.folder / "console-report.json").read_text())
    assert "stopped" in report["error"]


async def test_hangup_after_and_wrong_password(hub: Hub, qt_env: dict[str, str]) -> None:
    console = start_console(hub, qt_env, "--timeout", "60", "--hangup-after", "1")
    try:
        async with kiosk(hub) as k:
            await until(lambda: k.ended is not None, "the kiosk's end", 40)
            code = await _exit_code(console, 20)
    finally:
        if console.poll() is None:
            console.kill()
    assert code == 0
    assert k.ended is not None and k.ended.by is not None and k.ended.by.value == "officer"

    (hub.folder / "pw").write_text("wrong-password")
    console = start_console(hub, qt_env, "--timeout", "20")
    code = await _exit_code(console, 30)
    assert code == 3
    report = json.loads((hub.folder / "console-report.json").read_text())
    assert report["error"] == "login failed: 用户名或密码错误"
    assert report["logged_in_at"] is None


def test_bad_config_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "c.toml"
    bad.write_text("[hub\n")
    env = dict(os.environ)
    done = subprocess.run(
        [PY, "-m", "backoffice_console", "--config", str(bad)],
        capture_output=True, text=True, timeout=30, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "vw-console" in done.stderr
