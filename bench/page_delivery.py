"""Benchmark: a 4000x3000 document-camera frame to a corrected page delivered over HTTP.

Measures, in the same run and on the same machine:
- pipeline: find_page + correct_page (colour) + JPEG encode + HTTP POST over loopback to
  a receiver that decodes the JPEG, until the response arrives;
- baseline: JPEG-encode the raw frame and POST it to the same receiver.

The receiver is a minimal aiohttp app that stands in for the hub until the hub's material
store exists (a later round); it decodes what it receives, as the hub will. Prints JSON
with the medians, their ratio (target <= 3) and the pipeline's own time per page.

    .venv/bin/python bench/page_delivery.py [--runs 7]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared.imaging import correct_page, decode_image, encode_jpeg, find_page
from shared.imaging.synthetic import Lighting, photograph, render_document

FRAME_SIZE = (4000, 3000)


def make_frame() -> np.ndarray:
    """A 4000x3000 synthetic photograph of an A4 page, with lighting falloff and shadow."""
    corners = np.array([[1130, 260], [2990, 330], [2930, 2820], [1060, 2760]], np.float32)
    page = render_document(2480, seed=1)
    lighting = Lighting(falloff=0.2, shadow=0.25, blur_sigma=0.8, noise_sigma=3.0)
    return photograph(page, corners, FRAME_SIZE, seed=1, lighting=lighting)


async def _receive(request: web.Request) -> web.Response:
    data = await request.read()
    image = await asyncio.get_running_loop().run_in_executor(None, decode_image, data)
    return web.json_response(
        {"bytes": len(data), "width": image.shape[1], "height": image.shape[0]}
    )


async def run(runs: int) -> dict[str, Any]:
    """Run both paths `runs` times each (interleaved) and return the figures."""
    frame = make_frame()
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/page", _receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    url = f"http://127.0.0.1:{port}/page"
    loop = asyncio.get_running_loop()
    pipeline_s: list[float] = []
    own_s: list[float] = []
    baseline_s: list[float] = []
    sizes: dict[str, Any] = {}

    def process() -> bytes:
        corners = find_page(frame)
        if corners is None:
            raise RuntimeError("benchmark frame: no page found")
        return encode_jpeg(correct_page(frame, corners, "colour"), 85)

    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(runs):
                t0 = time.perf_counter()
                data = await loop.run_in_executor(None, process)
                t1 = time.perf_counter()
                async with session.post(url, data=data) as resp:
                    sizes["page"] = await resp.json()
                t2 = time.perf_counter()
                own_s.append(t1 - t0)
                pipeline_s.append(t2 - t0)

                t0 = time.perf_counter()
                raw = await loop.run_in_executor(None, encode_jpeg, frame, 85)
                async with session.post(url, data=raw) as resp:
                    sizes["raw"] = await resp.json()
                baseline_s.append(time.perf_counter() - t0)
    finally:
        await runner.cleanup()
    pipeline = statistics.median(pipeline_s)
    baseline = statistics.median(baseline_s)
    return {
        "benchmark": "page_delivery",
        "receiver": "aiohttp stand-in for the hub (decodes the JPEG), not the material store",
        "frame": list(FRAME_SIZE),
        "runs": runs,
        "pipeline_median_ms": round(pipeline * 1000, 1),
        "pipeline_own_median_ms": round(statistics.median(own_s) * 1000, 1),
        "baseline_median_ms": round(baseline * 1000, 1),
        "ratio": round(pipeline / baseline, 2),
        "target_ratio": 3.0,
        "page": sizes.get("page"),
        "raw": sizes.get("raw"),
    }


def main() -> int:
    """Parse arguments, run the benchmark, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.runs)), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
