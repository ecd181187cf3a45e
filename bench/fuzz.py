"""The long wire fuzz: 10^6 websocket messages and 10^5 HTTP requests against a real hub.

The same fuzzer as `tests/hub/test_wire_fuzz.py` (`tests/support/wire_fuzz.py`), for
longer: a hub with TLS and SQLite on loopback, in this process; nine authenticated
websockets (two kiosks, officers, supervisor, technician, admin) in lockstep, then
keep-alive HTTP clients over every route, authenticated and anonymous.

Baseline, measured in the same run: the same sockets exchanging only the lockstep
sentinel (an unknown type, refused by the codec without touching any domain), so the
ratio says what mutated traffic costs over the cheapest message the hub answers.

Prints one JSON object: messages and requests sent, rates, counts by outcome, RSS at
start, after each warm-up (the first tenth of each part) and at the end, whether a normal call works
afterwards, and `pass`: zero `internal` replies, 1011 closes, 500s and tracebacks or
errors in the hub's log, memory flat (growth after warm-up under `--rss-slack-mb`) and
the call working. Exits 0 when it passes.

    python bench/fuzz.py                      # 10^6 websocket messages, 10^5 requests
    python bench/fuzz.py --ws 20000 --http 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.hub_fixtures import HubHarness, running_hub  # noqa: E402
from tests.support.wire_fuzz import (  # noqa: E402
    LogWatch,
    Outcomes,
    call_works,
    fuzz_http,
    fuzz_websocket,
    set_up_actors,
)


def rss_mb() -> float:
    """This process's resident set size in MiB (hub and fuzzer share it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _baseline(hub: HubHarness, token: str, count: int) -> float:
    """Sentinel-only lockstep exchanges per second on one socket."""
    ws = await hub.raw_ws(token)
    try:
        await ws.receive(timeout=10)  # welcome
        started = time.perf_counter()
        for n in range(count):
            await ws.send_str(json.dumps({"type": "fuzz.sentinel", "id": f"b{n}"}))
            while json.loads((await ws.receive(timeout=10)).data).get("re") != f"b{n}":
                pass
        return count / (time.perf_counter() - started)
    finally:
        await ws.close()
        await ws._test_session.close()  # type: ignore[attr-defined]


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    out = Outcomes()
    with tempfile.TemporaryDirectory(prefix="vw-fuzz-") as tmp:
        async with running_hub(Path(tmp) / "hub") as hub:
            actors = await set_up_actors(hub)
            rss_start = rss_mb()
            with LogWatch() as watch:
                base_rate = await _baseline(hub, actors.tokens["admin"], args.baseline)
                warm = max(9, args.ws // 10)
                started = time.perf_counter()
                await fuzz_websocket(hub, actors, warm, rng, out)
                rss_warm = rss_mb()
                await fuzz_websocket(hub, actors, args.ws - warm, rng, out)
                ws_s = time.perf_counter() - started
                rss_ws = rss_mb()
                started = time.perf_counter()
                http_warm = max(4, args.http // 10)
                await fuzz_http(hub, actors, http_warm, rng, out)
                rss_http_warm = rss_mb()
                await fuzz_http(hub, actors, args.http - http_warm, rng, out)
                http_s = time.perf_counter() - started
                rss_end = rss_mb()
                call_ok = await call_works(actors)
    ws_rate = out.ws_sent / ws_s if ws_s else 0.0
    # Warm-up grows memory once (fonts for the PDFs, caches, pools): flat means after it.
    ws_growth, http_growth = rss_ws - rss_warm, rss_end - rss_http_warm
    flat = max(ws_growth, http_growth) < args.rss_slack_mb
    passed = out.forbidden == 0 and watch.tracebacks == 0 and watch.errors == 0
    return {
        "bench": "fuzz",
        "seed": args.seed,
        "ws_messages": out.ws_sent,
        "ws_seconds": round(ws_s, 1),
        "ws_rate_per_s": round(ws_rate, 1),
        "baseline_sentinel_rate_per_s": round(base_rate, 1),
        "ratio_fuzz_to_baseline": round(ws_rate / base_rate, 3) if base_rate else None,
        "http_requests": out.http_sent,
        "http_seconds": round(http_s, 1),
        "http_rate_per_s": round(out.http_sent / http_s, 1) if http_s else 0.0,
        "outcomes": dict(sorted(out.counts.items())),
        "forbidden": out.forbidden,
        "failures": out.failures,
        "log_tracebacks": watch.tracebacks,
        "log_errors": watch.errors,
        "log_samples": watch.samples,
        "rss_mb": {
            "start": round(rss_start, 1),
            "after_websocket_warmup": round(rss_warm, 1),
            "after_websocket": round(rss_ws, 1),
            "after_http_warmup": round(rss_http_warm, 1),
            "end": round(rss_end, 1),
            "websocket_growth_after_warmup": round(ws_growth, 1),
            "http_growth_after_warmup": round(http_growth, 1),
        },
        "memory_flat": flat,
        "call_after": call_ok,
        "pass": passed and flat and call_ok,
    }


def main() -> int:
    """Run the fuzz and print its JSON; 0 when it passes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ws", type=int, default=1_000_000, help="websocket messages")
    parser.add_argument("--http", type=int, default=100_000, help="HTTP requests")
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--baseline", type=int, default=2000, help="sentinel-only messages")
    parser.add_argument("--rss-slack-mb", type=float, default=64.0)
    args = parser.parse_args()
    result = asyncio.run(_run(args))
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
