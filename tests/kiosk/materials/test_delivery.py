"""Kiosk materials on the real stack: outbox durability, capture through a real hub with a
video-file camera, hub restart and network loss during upload, SIGKILL at random points."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import cv2
import pytest
from sqlalchemy import select

from backoffice_console.hub.materials.models import StoredMaterial
from backoffice_console.hub.provision import prepare_dir
from backoffice_console.hub.server import start
from kiosk.devices.doccam import DocumentCameraConfig
from kiosk.materials import CaptureDesk, CaptureState, Outbox, Uploader
from shared.hubclient import DeviceCredential, HubClient
from shared.protocol import DeviceCommand, QueueJoin, TicketTake
from tests.hub.materials.test_routes import page_jpeg
from tests.support.hub_fixtures import WAIT, HubHarness, HubView, Peer
from tests.support.synthetic_pages import page_frame
from tests.support.waiting import until

REPO = Path(__file__).resolve().parents[3]
SIZE = (1280, 720)


async def _ignore(_: Any) -> None:
    return None


async def session_with_credential(hub: HubHarness, name: str) -> tuple[Peer, DeviceCredential, str]:
    """An officer in a call with a kiosk whose credential the test keeps."""
    officer = await hub.officer(f"o-{name}")
    credential = await hub.kiosk_credential(name)
    kiosk = Peer(hub.url, hub.ca)
    hub.peers.append(kiosk)
    await asyncio.wait_for(kiosk.client.login_device(credential), WAIT)
    await asyncio.wait_for(kiosk.client.connect(), WAIT)
    await asyncio.wait_for(kiosk.client.request(QueueJoin(matter="civil.dbsq")), WAIT)
    ticket = (await kiosk.next("queue.status")).ticket_id
    await asyncio.wait_for(officer.client.request(TicketTake(ticket_id=ticket)), WAIT)
    sid = (await kiosk.skip_to("session.started")).session_id
    await officer.skip_to("session.started")
    return officer, credential, sid


async def stored(hub: Any) -> list[StoredMaterial]:
    async with hub.db.session() as s:
        return list(await s.scalars(select(StoredMaterial).order_by(StoredMaterial.id)))


@pytest.fixture(scope="module")
def page_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("materials") / "page.avi"
    image = page_frame(300, SIZE).image
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, SIZE)
    for _ in range(8):
        writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


@pytest.fixture(scope="module")
def page_sequence(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("materials-seq")
    for i in range(12):
        image = page_frame(400 + i, (960, 540)).image
        cv2.imwrite(str(folder / f"frame_{i:03d}.jpg"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return str(folder / "frame_%03d.jpg")


async def test_outbox_is_durable_and_cleans_up_after_a_crash(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    await outbox.open()
    data = page_jpeg(1)
    page = await outbox.add("s1", "c1", data)
    assert page.state == "pending" and outbox.path_of(page.sha256).read_bytes() == data
    assert (await outbox.add("s1", "c1", data)).id == page.id  # the same page once
    await outbox.close()
    # A crash mid-write leaves a temporary file, or a file whose row never committed.
    (outbox.pages_dir / ("ab" * 32 + ".jpg.tmp")).write_bytes(b"half")
    (outbox.pages_dir / ("cd" * 32 + ".jpg")).write_bytes(b"never acknowledged")
    outbox = Outbox(tmp_path / "outbox")
    await outbox.open()
    assert sorted(p.name for p in outbox.pages_dir.iterdir()) == [f"{page.sha256}.jpg"]
    assert [p.id for p in await outbox.pending()] == [page.id]
    assert await outbox.read(page) == data
    await outbox.mark_sent(page.id, 7, 1)
    assert await outbox.pending() == [] and not outbox.path_of(page.sha256).exists()
    assert (await outbox.pages("s1"))[0].material_id == 7
    await outbox.close()


async def test_video_file_camera_drives_capture_end_to_end(
    hub: HubHarness, page_video: Path, tmp_path: Path
) -> None:
    officer, credential, sid = await session_with_credential(hub, "K-cap")
    client = HubClient(hub.url, hub.ca, _ignore)
    await asyncio.wait_for(client.login_device(credential), WAIT)
    await asyncio.wait_for(client.connect(), WAIT)
    changes: list[CaptureState] = []
    config = DocumentCameraConfig(backend="file", path=str(page_video), fps=15)
    desk = CaptureDesk(config, client, Outbox(tmp_path / "outbox"), lambda: None)
    desk._notify = lambda: changes.append(desk.state)
    await desk.start()
    try:
        # The officer's command goes through the hub (which then takes the kiosk's reports
        # on it); the test hands it to the desk itself, its client not being wired to it.
        command = DeviceCommand(session_id=sid, command_id="cap-1", kind="page.capture")
        await asyncio.wait_for(officer.client.request(command), WAIT)
        desk.handle_command(sid, command)
        progress = await officer.skip_to("device.progress", timeout=10)
        assert (progress.command_id, progress.stage) == ("cap-1", "capturing")
        added = await officer.skip_to("material.added", timeout=20)
        assert added.command_id == "cap-1" and added.page_no == 1
        assert CaptureState.CAPTURED in changes
        async with asyncio.timeout(10):
            while not desk.pages or desk.pages[-1].state != "sent":  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        assert desk.pages_delivered == 1 and desk.captured == 1
        # The corrected page, not the whole frame: portrait-ish and smaller than the frame.
        assert added.height > added.width and added.width < SIZE[0]
        # A rejection asks again with the reason, which the kiosk shows.
        params = {"reason": "blurred", "retake_of": added.material_id}
        again = DeviceCommand(
            session_id=sid, command_id="cap-2", kind="page.capture", params=params
        )
        desk.auto_capture = False
        await asyncio.wait_for(officer.client.request(again), WAIT)
        desk.handle_command(sid, again)
        assert desk.state == CaptureState.PREVIEW and desk.reason == "blurred"
        assert desk.message == ("kiosk", "capture.retake.blurred")
        desk.cancel()
        failed = await officer.skip_to("device.failed", timeout=10)
        assert (failed.command_id, failed.code.value) == ("cap-2", "cancelled")
    finally:
        await asyncio.wait_for(desk.close(), WAIT)
        await client.close()


class Proxy:
    """A loopback TCP proxy that can cut every connection (network loss) and come back."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update({writer, up_w})

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))
        self._writers.difference_update({writer, up_w})


@pytest.fixture(name="own_hub")
async def own_hub_fixture(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    config = prepare_dir(tmp_path / "hub", [], port=0)
    config.log_dir = None
    config.check_replies = True
    runner, url = await asyncio.wait_for(start(config, 0), 30)
    state: dict[str, Any] = {"config": config, "runner": runner, "url": url}
    try:
        yield state
    finally:
        await asyncio.wait_for(state["runner"].cleanup(), 30)


async def test_outbox_drains_after_network_loss_and_hub_restart(
    own_hub: dict[str, Any], tmp_path: Path
) -> None:
    runner = own_hub["runner"]
    harness = HubHarness(own_hub["url"], own_hub["config"].tls_cert.parent / "ca.pem",
                         HubView(runner.app))  # fmt: skip
    _officer, credential, sid = await session_with_credential(harness, "K-net")
    hub_port = int(own_hub["url"].rsplit(":", 1)[1])
    proxy = Proxy(hub_port)
    await proxy.up()
    client = HubClient(f"https://localhost:{proxy.port}", harness.ca, _ignore)
    outbox = Outbox(tmp_path / "outbox")
    await outbox.open()
    uploader = Uploader(outbox, client, backoff=(0.05, 0.1, 0.2))
    task = asyncio.create_task(uploader.run())
    try:
        await asyncio.wait_for(client.login_device(credential), WAIT)
        await outbox.add(sid, None, page_jpeg(11))
        uploader.wake()
        async with asyncio.timeout(10):
            while len(await stored(HubView(runner.app))) < 1:  # noqa: ASYNC110
                await asyncio.sleep(0.05)

        # Network loss: pages captured meanwhile wait in the outbox.
        await proxy.down()
        for seed in (12, 13):
            await outbox.add(sid, None, page_jpeg(seed))
        uploader.wake()
        await until(lambda: uploader.failures > 0, "an upload to fail")
        assert len(await outbox.pending()) == 2

        # And the hub restarts while the network is still down (it ends the session).
        await asyncio.wait_for(runner.cleanup(), 30)
        runner, _ = await asyncio.wait_for(start(own_hub["config"], hub_port), 30)
        own_hub["runner"] = runner
        await proxy.up()  # same port: the kiosk's configured address
        async with asyncio.timeout(15):  # drains by itself, no wake needed
            while await outbox.pending():  # noqa: ASYNC110 - polling the outbox
                await asyncio.sleep(0.05)
        rows = await stored(HubView(runner.app))
        assert [r.page_no for r in rows] == [1, 2, 3]
        assert len({r.sha256 for r in rows}) == 3
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await outbox.close()
        await client.close()
        await proxy.down()
        for peer in harness.peers:
            await peer.close()


async def _run_driver(args: list[str], kill_at_ack: int | None) -> list[str]:
    """Runs the driver; SIGKILLs it the moment it prints its `kill_at_ack`-th ACK.

    The kill is placed by what the driver has done, not by the clock: a loaded machine
    only slows the run down, it cannot move the kill before the first page.
    """
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.kiosk.materials.crash_driver", *args,
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdout is not None
    lines: list[str] = []
    async with asyncio.timeout(60):
        while line := await proc.stdout.readline():
            lines.append(line.decode().strip())
            acks = sum(entry.startswith("ACK ") for entry in lines)
            if kill_at_ack is not None and acks == kill_at_ack:
                os.kill(proc.pid, signal.SIGKILL)
                break
        await proc.wait()
    return lines


async def test_sigkill_at_random_points_loses_and_duplicates_nothing(
    hub: HubHarness, page_sequence: str, tmp_path: Path
) -> None:
    _officer, credential, sid = await session_with_credential(hub, "K-crash")
    cred_file = tmp_path / "credential.json"
    credential.save(cred_file)
    args = [hub.url, str(hub.ca), str(cred_file), str(tmp_path / "outbox"), page_sequence, sid]
    rng = random.Random(4)
    acked: set[str] = set()
    kills = 0
    for _ in range(5):
        # Enough pages that no run drains before its kill (the pipeline got faster).
        lines = await _run_driver([*args, "30"], kill_at_ack=rng.randint(1, 6))
        acked |= {line.split()[1] for line in lines if line.startswith("ACK ")}
        kills += "DRAINED" not in lines
    assert kills >= 3, "the kills should land mid-capture or mid-upload"
    final = await _run_driver([*args, "0"], kill_at_ack=None)
    assert "DRAINED" in final
    rows = await stored(hub.hub)
    delivered = [r.sha256 for r in rows]
    assert len(delivered) == len(set(delivered)), "a page arrived twice"
    assert acked <= set(delivered), f"lost: {acked - set(delivered)}"
    assert len(acked) >= 3
    print(f"crash test: {kills} kills, {len(acked)} pages acknowledged, {len(rows)} delivered")
