"""The demo tour's own logic without a stack: how it reads vw-health and the console's args.

The tour itself runs in tests/e2e/test_call.py::test_call_end_to_end.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kiosk.health.base import PARTS
from scripts.demo import broken_printer_summary, health_summary
from scripts.stack import DEMO_MATTER, Stack
from shared.catalogue.io import load_sample


def _checks(statuses: dict[str, str]) -> str:
    checks = [{"part": p, "status": s, "value": None, "message": "m"} for p, s in statuses.items()]
    return json.dumps({"at": "2026-11-22T09:00:00Z", "software_version": "0", "checks": checks})


def test_every_part_means_every_part() -> None:
    every = health_summary(0, _checks(dict.fromkeys(PARTS, "ok")))
    assert every["health_every_part"] is True and set(every["health_statuses"]) == set(PARTS)
    one_missing = health_summary(0, _checks(dict.fromkeys(PARTS[1:], "ok")))
    assert one_missing["health_every_part"] is False


def test_unreadable_health_output_is_no_report() -> None:
    for stdout in ("", "not json", '{"checks": 3}', "[]"):
        summary = health_summary(2, stdout)
        assert summary == {"health_exit_code": 2, "health_statuses": {}, "health_every_part": False}
        broken = broken_printer_summary(2, stdout)
        assert broken["broken_printer_status"] is None
        assert broken["broken_printer_hidden_matters"] == 0


def test_a_failed_printer_hides_what_needs_it_and_nothing_else() -> None:
    remote_with_printer = {
        m.code for m in load_sample().matters if m.remote and "printer" in m.devices
    }
    failed = broken_printer_summary(1, _checks({"printer": "failed"}))
    assert failed["broken_printer_status"] == "failed"
    assert failed["broken_printer_hidden_matters"] == len(remote_with_printer) > 0
    assert failed["demo_matter_hidden_by_broken_printer"] is True
    # A warning (or a printer check that passed) hides nothing.
    for status in ("ok", "warning"):
        fine = broken_printer_summary(0, _checks({"printer": status}))
        assert fine["broken_printer_hidden_matters"] == 0, status
        assert fine["demo_matter_hidden_by_broken_printer"] is False
    assert DEMO_MATTER in remote_with_printer


def test_broken_printer_config_changes_only_the_printer(tmp_path: Path) -> None:
    stack = Stack(root=tmp_path, port=1)
    healthy = stack.kiosk_config().read_text(encoding="utf-8")
    broken = stack.broken_printer_config().read_text(encoding="utf-8")
    before, after = healthy.split("[printer]"), broken.split("[printer]")
    assert before[0] == after[0]  # hub, camera, kiosk, devices: the same kiosk
    assert 'backend = "cups-cli"' in after[1] and 'backend = "simulated"' in before[1]
    assert after[1][after[1].index("[point]") :] == before[1][before[1].index("[point]") :]


def test_console_refuses_a_negative_call_count(tmp_path: Path) -> None:
    """--max-calls 0 is the admin's tabs-only run; below that is a usage error, nothing runs."""
    result = subprocess.run(
        [sys.executable, "-m", "backoffice_console", "--max-calls", "-1"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "--max-calls must be >= 0" in result.stderr
