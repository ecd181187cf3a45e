"""Call set-up time through the hub, against bare aiortc in the same run.

System: from the resident's "start" (the kiosk controller's `start_service`, what
the 开始办理 button calls) until both sides have decoded a first remote frame; the
ticket goes through a real hub process (TLS, database, queue) and an officer's
console controller takes it as soon as it appears.

Baseline: two bare aiortc peers with the same frame size and rate, exchanging one
offer and one answer over a minimal websocket relay, from `createOffer` until
both have decoded a first frame.

Both run in this process on loopback, alternately, so machine load hits both
alike. Prints medians and the ratio (system / baseline) as JSON; target <= 1.5.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import aiohttp
import av
import numpy as np
from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from backoffice_console.app import ConsoleController, ConsoleObserver, QueueEntry  # noqa: E402
from backoffice_console.call_ports import default_hub_factory, rtc_peer_factory  # noqa: E402
from kiosk.app import KioskController, KioskState  # noqa: E402
from scripts.stack import DEMO_OFFICER, Stack  # noqa: E402
from shared.hubclient import DeviceCredential, HubClient  # noqa: E402
from shared.media import VideoSourceConfig, open_video_source  # noqa: E402
from shared.rtc import enable_loopback_mode  # noqa: E402
from shared.tasks import TaskKeeper  # noqa: E402

WIDTH, HEIGHT, FPS = 320, 240, 15
TIMEOUT = 20.0


# --- baseline: bare aiortc over a minimal relay ----------------------------------


class PacedTrack(MediaStreamTrack):
    """Frames of the system's size and rate, as a camera would give them."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self._image = np.full((HEIGHT, WIDTH, 3), 90, dtype=np.uint8)
        self._start: float | None = None
        self._count = 0

    async def recv(self) -> av.VideoFrame:
        if self._start is None:
            self._start = time.monotonic()
        else:
            await asyncio.sleep(max(0.0, self._start + self._count / FPS - time.monotonic()))
        frame = av.VideoFrame.from_ndarray(self._image, format="rgb24")
        frame.pts, frame.time_base = self._count, Fraction(1, FPS)
        self._count += 1
        return frame


async def start_relay() -> tuple[web.AppRunner, str]:
    """A websocket room of two: every text message goes to the other member."""
    members: list[web.WebSocketResponse] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        members.append(ws)
        async for msg in ws:
            for other in members:
                if other is not ws and not other.closed:
                    await other.send_str(msg.data)
        members.remove(ws)
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/ws"


def _first_frame_waiter(pc: RTCPeerConnection, tasks: TaskKeeper) -> asyncio.Event:
    got = asyncio.Event()

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        async def consume() -> None:
            while True:
                await track.recv()
                got.set()

        tasks.start(consume(), "consume")

    return got


async def bare_once(session: aiohttp.ClientSession, url: str) -> float:
    """One bare call: milliseconds from createOffer to a first frame on both sides."""
    tasks = TaskKeeper("bare")
    ws_a, ws_b = await session.ws_connect(url), await session.ws_connect(url)
    config = RTCConfiguration(iceServers=[])
    pc_a, pc_b = RTCPeerConnection(config), RTCPeerConnection(config)
    got_a, got_b = _first_frame_waiter(pc_a, tasks), _first_frame_waiter(pc_b, tasks)
    try:
        t0 = time.perf_counter()
        pc_a.addTrack(PacedTrack())

        async def answerer() -> None:
            offer = json.loads((await ws_b.receive()).data)
            await pc_b.setRemoteDescription(RTCSessionDescription(**offer))
            pc_b.addTrack(PacedTrack())
            await pc_b.setLocalDescription(await pc_b.createAnswer())
            desc = pc_b.localDescription
            await ws_b.send_str(json.dumps({"sdp": desc.sdp, "type": desc.type}))

        tasks.start(answerer(), "answerer")
        await pc_a.setLocalDescription(await pc_a.createOffer())
        desc = pc_a.localDescription
        await ws_a.send_str(json.dumps({"sdp": desc.sdp, "type": desc.type}))
        answer = json.loads((await ws_a.receive()).data)
        await pc_a.setRemoteDescription(RTCSessionDescription(**answer))
        await asyncio.wait_for(asyncio.gather(got_a.wait(), got_b.wait()), TIMEOUT)
        return (time.perf_counter() - t0) * 1000.0
    finally:
        await tasks.cancel_all()
        await pc_a.close()
        await pc_b.close()
        await ws_a.close()
        await ws_b.close()


# --- system: kiosk and console controllers through a real hub --------------------


class _AutoTake(ConsoleObserver):
    """The officer's take, automated: take the oldest ticket as soon as it shows."""

    def __init__(self, tasks: TaskKeeper) -> None:
        self.controller: ConsoleController | None = None
        self._tasks = tasks

    def queue_changed(self, entries: list[QueueEntry]) -> None:
        if entries and self.controller is not None:
            self._tasks.start(self.controller.take(entries[0].ticket_id), "take")


async def _until(predicate: Any, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.001)


class System:
    """A kiosk controller and a console controller, in this process, on a real hub."""

    def __init__(self, stack: Stack, kiosk_config: Path) -> None:
        camera = VideoSourceConfig(kind="synthetic", width=WIDTH, height=HEIGHT, fps=FPS)
        self.tasks = TaskKeeper("bench")
        credential = DeviceCredential.load(kiosk_config.parent / "credential.json")
        self.kiosk_hub = HubClient(stack.hub_url, stack.ca_file, self._kiosk_msg, self._kiosk_conn)
        self.kiosk = KioskController(
            self.kiosk_hub, video=open_video_source(camera), credential=credential
        )
        self.officer_video = open_video_source(camera)
        self.observer = _AutoTake(self.tasks)
        self.console = ConsoleController(
            default_hub_factory(stack.hub_url, stack.ca_file),
            rtc_peer_factory(self.officer_video),
            self.observer,
        )
        self.observer.controller = self.console

    async def _kiosk_msg(self, message: Any) -> None:
        await self.kiosk.handle_message(message)

    async def _kiosk_conn(self, up: bool) -> None:
        await self.kiosk.handle_connection(up)

    async def start(self) -> None:
        await self.officer_video.start()
        await self.kiosk.start()
        await self.console.login(DEMO_OFFICER[0], DEMO_OFFICER[2])
        await _until(lambda: self.kiosk.state == KioskState.IDLE)

    def _both_have_video(self) -> bool:
        kiosk_peer, console_peer = self.kiosk.peer, self.console.peer
        return (
            kiosk_peer is not None
            and console_peer is not None
            and kiosk_peer.remote_video.frames_received > 0
            and console_peer.remote_video.frames_received > 0  # type: ignore[attr-defined]
        )

    async def once(self) -> float:
        """One call: milliseconds from "start" to a first frame on both sides."""
        t0 = time.perf_counter()
        await self.kiosk.start_service()
        await _until(self._both_have_video)
        elapsed = (time.perf_counter() - t0) * 1000.0
        await self.kiosk.hang_up()
        await _until(lambda: self.kiosk.state == KioskState.ENDED and self.console.call is None)
        self.kiosk.go_home()
        return elapsed

    async def close(self) -> None:
        await self.kiosk.shutdown()
        await self.console.close()
        await self.officer_video.stop()
        await self.tasks.cancel_all()


async def measure(stack: Stack, kiosk_config: Path, runs: int) -> dict[str, Any]:
    """Alternate bare and system calls `runs` times (after one warm-up of each)."""
    enable_loopback_mode()
    runner, relay_url = await start_relay()
    system = System(stack, kiosk_config)
    bare: list[float] = []
    through_hub: list[float] = []
    try:
        async with aiohttp.ClientSession() as session:
            await system.start()
            await bare_once(session, relay_url)  # warm-up: imports, codecs, certificates
            await system.once()
            for _ in range(runs):
                bare.append(await bare_once(session, relay_url))
                through_hub.append(await system.once())
    finally:
        await system.close()
        await runner.cleanup()
    bare_ms, system_ms = statistics.median(bare), statistics.median(through_hub)
    return {
        "benchmark": "call_setup",
        "runs": runs,
        "frame": f"{WIDTH}x{HEIGHT}@{FPS}",
        "baseline_bare_aiortc_median_ms": round(bare_ms, 1),
        "system_through_hub_median_ms": round(system_ms, 1),
        "ratio": round(system_ms / bare_ms, 2),
        "target_ratio": 1.5,
        "baseline_ms": [round(v, 1) for v in bare],
        "system_ms": [round(v, 1) for v in through_hub],
    }


def main() -> int:
    """Start a hub on loopback, run the measurement, print JSON."""
    parser = argparse.ArgumentParser(description="call set-up benchmark")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vw-bench-") as tmp:
        stack = Stack(root=Path(tmp), python=sys.executable)
        stack.init_hub()
        stack.start_hub()
        try:
            kiosk_config = stack.enroll_kiosk()
            result = asyncio.run(measure(stack, kiosk_config, args.runs))
        finally:
            stack.stop_all()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
