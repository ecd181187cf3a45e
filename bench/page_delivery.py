"""Benchmark: a 4000x3000 document-camera frame to a page in the officer console's model.

Measures, in the same run and on the same machine, interleaved:
- pipeline (the real path): the kiosk's `make_page` (find_page + correct_page_jpeg:
  the page warped, flattened and encoded in bands on every core) on the frame, the
  durable outbox (SQLite + fsynced file), the kiosk's
  `Uploader` posting it over HTTPS to a real hub process on loopback (which
  validates, decodes, re-encodes, encrypts and stores it), and the hub's
  `material.added` over the officer's websocket until the console's
  `MaterialsDesk` holds the page;
- baseline: JPEG-encode the same raw frame and POST it over a loopback HTTP
  request to a receiver that reads the body.

Each run draws its number on the page so every page is new to the hub (pages are
idempotent by SHA-256). This process plays the kiosk, so it keeps large buffers the
way `vw-kiosk` does (`shared.memory.keep_large_buffers`, as the hub process does
too); the baseline runs in the same process with the same setting. Prints JSON:
medians, their ratio (target <= 3), the pipeline's own per-page time (kiosk image
work), and where the rest goes (outbox, delivery through the hub).

    .venv/bin/python bench/page_delivery.py [--runs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import cv2
import numpy as np
from aiohttp import web

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from backoffice_console.materials import MaterialsDesk, MaterialsView  # noqa: E402
from kiosk.materials import Outbox, Uploader, make_page  # noqa: E402
from scripts.stack import DEMO_OFFICER, Stack  # noqa: E402
from shared.hubclient import DeviceCredential, HubClient  # noqa: E402
from shared.imaging import encode_jpeg  # noqa: E402
from shared.imaging.synthetic import Lighting, photograph, render_document  # noqa: E402
from shared.memory import keep_large_buffers  # noqa: E402
from shared.protocol import QueueJoin, TicketTake  # noqa: E402

FRAME_SIZE = (4000, 3000)
CORNERS = np.array([[1130, 260], [2990, 330], [2930, 2820], [1060, 2760]], np.float32)
STEP_TIMEOUT_S = 60.0


def make_frame() -> np.ndarray:
    """A 4000x3000 synthetic photograph of an A4 page, with lighting falloff and shadow."""
    page = render_document(2480, seed=1)
    lighting = Lighting(falloff=0.2, shadow=0.25, blur_sigma=0.8, noise_sigma=3.0)
    return photograph(page, CORNERS, FRAME_SIZE, seed=1, lighting=lighting)


def numbered(frame: np.ndarray, n: int) -> np.ndarray:
    """The frame with `n` written on the page, so each run's page has its own digest."""
    out = frame.copy()
    cv2.putText(out, f"run {n}", (1500, 1500), cv2.FONT_HERSHEY_SIMPLEX, 4, (40, 40, 40), 8)
    return out


async def _read_body(request: web.Request) -> web.Response:
    data = await request.read()
    return web.json_response({"bytes": len(data)})


class Officer:
    """The officer's side: a hub client whose messages feed a console `MaterialsDesk`."""

    def __init__(self, stack: Stack) -> None:
        self.client = HubClient(stack.hub_url, stack.ca_file, self._message)
        self.session_id: str | None = None
        self.changed = asyncio.Event()
        self.desk = MaterialsDesk(lambda: self.client, lambda: self.session_id, self._changed)

    def _changed(self, _view: MaterialsView) -> None:
        self.changed.set()

    async def _message(self, message: Any) -> None:
        if message.type == "session.started":
            self.session_id = message.session_id
        self.desk.handle(message)

    async def wait_pages(self, count: int) -> None:
        """Until the desk holds `count` pages."""
        async with asyncio.timeout(STEP_TIMEOUT_S):
            while len(self.desk.view.pages) < count:
                self.changed.clear()
                await self.changed.wait()


async def _start_session(officer: Officer, kiosk: HubClient, tickets: asyncio.Queue[Any]) -> str:
    # No matter: the hub checks a given one against its catalogue; the bench needs none.
    await kiosk.request(QueueJoin())
    ticket = await asyncio.wait_for(tickets.get(), STEP_TIMEOUT_S)
    await officer.client.request(TicketTake(ticket_id=ticket))
    async with asyncio.timeout(STEP_TIMEOUT_S):
        while officer.session_id is None:  # noqa: ASYNC110 - set by the officer's handler
            await asyncio.sleep(0.01)
    return officer.session_id


async def measure(stack: Stack, kiosk_config: Path, runs: int, work: Path) -> dict[str, Any]:
    """Warm up once, then alternate pipeline and baseline `runs` times."""
    frame = make_frame()
    loop = asyncio.get_running_loop()
    imaging = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-pages")
    tickets: asyncio.Queue[Any] = asyncio.Queue()

    async def kiosk_message(message: Any) -> None:
        if message.type == "queue.status" and getattr(message, "ticket_id", None):
            await tickets.put(message.ticket_id)

    kiosk = HubClient(stack.hub_url, stack.ca_file, kiosk_message)
    officer = Officer(stack)
    outbox = Outbox(work / "outbox")
    uploader = Uploader(outbox, kiosk)
    receiver = web.Application(client_max_size=64 * 1024 * 1024)
    receiver.router.add_post("/frame", _read_body)
    runner = web.AppRunner(receiver)
    own_ms: list[float] = []
    outbox_ms: list[float] = []
    delivery_ms: list[float] = []
    pipeline_ms: list[float] = []
    baseline_ms: list[float] = []
    sizes: dict[str, int] = {}
    upload_task: asyncio.Task[None] | None = None
    try:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/frame"
        await outbox.open()
        await kiosk.login_device(DeviceCredential.load(kiosk_config.parent / "credential.json"))
        await kiosk.connect()
        await officer.client.login_officer(DEMO_OFFICER[0], DEMO_OFFICER[2])
        await officer.client.connect()
        session_id = await _start_session(officer, kiosk, tickets)
        upload_task = asyncio.create_task(uploader.run(), name="bench-uploader")

        async with aiohttp.ClientSession() as http:
            for n in range(runs + 1):  # run 0 warms up (imports, TLS, first decode)
                still = numbered(frame, n)
                t0 = time.perf_counter()
                jpeg = await loop.run_in_executor(imaging, make_page, still)
                t1 = time.perf_counter()
                if jpeg is None:
                    raise RuntimeError("benchmark frame: no page found")
                await outbox.add(session_id, f"bench-{n}", jpeg)
                t2 = time.perf_counter()
                uploader.wake()
                await officer.wait_pages(n + 1)
                t3 = time.perf_counter()

                b0 = time.perf_counter()
                raw = await loop.run_in_executor(imaging, encode_jpeg, still, 85)
                async with http.post(url, data=raw) as resp:
                    resp.raise_for_status()
                    await resp.read()
                b1 = time.perf_counter()
                sizes = {"page_jpeg_bytes": len(jpeg), "frame_jpeg_bytes": len(raw)}
                if n == 0:
                    continue
                own_ms.append((t1 - t0) * 1000)
                outbox_ms.append((t2 - t1) * 1000)
                delivery_ms.append((t3 - t2) * 1000)
                pipeline_ms.append((t3 - t0) * 1000)
                baseline_ms.append((b1 - b0) * 1000)
        page = officer.desk.view.pages[-1]
    finally:
        if upload_task is not None:
            upload_task.cancel()
        await kiosk.close()
        await officer.client.close()
        await outbox.close()
        await runner.cleanup()
        imaging.shutdown(wait=False)
    pipeline, baseline = statistics.median(pipeline_ms), statistics.median(baseline_ms)
    return {
        "benchmark": "page_delivery",
        "path": "make_page -> outbox -> Uploader -> hub process (HTTPS, loopback) -> "
        "material.added -> console MaterialsDesk",
        "baseline": "JPEG-encode the raw frame + HTTP POST on loopback (body read)",
        "frame": list(FRAME_SIZE),
        "runs": runs,
        "pipeline_median_ms": round(pipeline, 1),
        "baseline_median_ms": round(baseline, 1),
        "ratio": round(pipeline / baseline, 2),
        "target_ratio": 3.0,
        "pipeline_own_median_ms": round(statistics.median(own_ms), 1),
        "outbox_median_ms": round(statistics.median(outbox_ms), 1),
        "delivery_median_ms": round(statistics.median(delivery_ms), 1),
        "pipeline_ms": [round(v, 1) for v in pipeline_ms],
        "baseline_ms": [round(v, 1) for v in baseline_ms],
        "page_px": [page.width, page.height],
        **sizes,
    }


def main() -> int:
    """Start a hub process on loopback, run the measurement, print JSON."""
    parser = argparse.ArgumentParser(description="page delivery benchmark")
    parser.add_argument("--runs", type=int, default=15)  # medians steady on a shared VM
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    keep_large_buffers()
    with tempfile.TemporaryDirectory(prefix="vw-bench-pages-") as tmp:
        stack = Stack(root=Path(tmp), python=sys.executable)
        try:
            stack.init_hub()
            stack.start_hub()
            kiosk_config = stack.enroll_kiosk()
            result = asyncio.run(measure(stack, kiosk_config, args.runs, Path(tmp)))
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            print(json.dumps({"benchmark": "page_delivery", "error": str(exc)}))
            return 1
        finally:
            stack.stop_all()
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
