"""`bench/page_delivery.py` runs on the real path (hub process, TLS, console model) and reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_page_delivery_bench_runs_through_a_real_hub() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "page_delivery.py"), "--runs", "1"],
        capture_output=True, text=True, timeout=120, cwd=REPO, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    print("page_delivery:", json.dumps(report, ensure_ascii=False))
    assert report["frame"] == [4000, 3000] and report["runs"] == 1
    ratio = report["pipeline_median_ms"] / report["baseline_median_ms"]
    assert abs(report["ratio"] - ratio) < 0.05
    parts = ("pipeline_own_median_ms", "outbox_median_ms", "delivery_median_ms")
    # The parts are measured back to back, so they add up to the whole (rounding aside).
    assert abs(sum(report[p] for p in parts) - report["pipeline_median_ms"]) < 1.0
    assert all(report[p] > 0 for p in parts)
    # The console got the corrected page (portrait A4-ish crop), not the raw frame.
    width, height = report["page_px"]
    assert height > width and width < 4000
    assert 1.2 < height / width < 1.6
