"""End to end: a real hub, a kiosk and a console as processes, a real call between them.

Both apps run on autopilot, which clicks their real buttons: the kiosk's 开始办理
and 挂断, the console's login form and 接听. The hub is stopped with SIGTERM at the
end; every process must exit with status 0.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from backoffice_console.hub.core.config import load_hub_config
from backoffice_console.hub.db.engine import Database
from backoffice_console.hub.reports.service import build_report
from kiosk.devices.idcard.simulated import load_residents
from kiosk.health.base import PARTS as HEALTH_PARTS
from scripts.demo import run_tour_in
from scripts.stack import DEMO_HELPER, DEMO_MATTER, Stack, read_report
from shared.catalogue.io import load_sample
from shared.idcard import mask_id_number
from tests.e2e.helpers import Namespace, hub_db, logs_of, running_stack, wait_for

pytestmark = pytest.mark.slow

CALL_ACTIONS = ["queue.join", "session.start", "rtc.offer", "rtc.answer", "call.connected"]


def test_call_end_to_end(tmp_path: Path, qt_env: dict[str, str], test_output: Path) -> None:
    """The demo tour itself: one case start to finish, then vw-health and the admin's tabs."""
    out = tmp_path / "out"
    with running_stack(tmp_path / "stack", qt_env) as stack:
        summary = run_tour_in(stack, out, call_seconds=4)
        codes = {**summary["exit_codes"], **stack.stop_all()}
        context = logs_of(stack)
    k, c = read_report(out / "kiosk-report.json"), read_report(out / "console-report.json")
    assert set(codes.values()) == {0}, (codes, context)
    assert summary["errors"] == {} and k["error"] is None and c["error"] is None, context

    # One session, seen by both sides, with video both ways.
    assert k["session_id"] and k["session_id"] == c["session_id"]
    assert k["first_connected_at"] and c["first_connected_at"]
    assert k["frames_received"] >= 30, k
    assert c["frames_received"] >= 30, c
    assert k["frames_painted"] > 0 and c["frames_painted"] > 0
    assert (k["ended_reason"], k["ended_by"]) == ("hangup", "kiosk")
    assert (c["ended_reason"], c["ended_by"]) == ("hangup", "kiosk")
    assert c["history_rows"] >= 1

    # The hub's record of it.
    with hub_db(stack) as db:
        session = db.execute("SELECT * FROM sessions").fetchall()
        assert len(session) == 1
        row = session[0]
        assert row["id"] == k["session_id"]
        for column in ("started_at", "offer_at", "answered_at", "connected_at", "ended_at"):
            assert row[column] is not None, column
        assert (row["end_reason"], row["ended_by"], row["reconnects"]) == ("hangup", "kiosk", 0)
        ticket = db.execute("SELECT state, taken_by FROM tickets").fetchone()
        assert ticket["state"] == "taken" and ticket["taken_by"] == row["officer_id"]
        actions = [
            r["action"]
            for r in db.execute(
                "SELECT action FROM audit_log WHERE session_id = ? OR action = 'queue.join' "
                "ORDER BY id",
                (row["id"],),
            )
        ]
        identities = db.execute("SELECT session_id, ciphertext FROM identities").fetchall()
        documents = db.execute(
            "SELECT session_id, kind, signed_at, signed_sha256, unsigned_reason FROM documents "
            "ORDER BY created_at"
        ).fetchall()
        materials = db.execute(
            "SELECT id, session_id, page_no, command_id FROM materials ORDER BY page_no"
        ).fetchall()
        tickets = db.execute("SELECT matter, line FROM tickets").fetchall()
        cases = db.execute("SELECT * FROM cases").fetchall()
        case_materials = db.execute(
            "SELECT kind, ref, item_code FROM case_materials ORDER BY id"
        ).fetchall()
        catalogue_version = db.execute("SELECT MAX(id) FROM catalogue_versions").fetchone()[0]
        ratings = db.execute("SELECT * FROM ratings").fetchall()
        health_rows = db.execute("SELECT failed, report FROM fleet_health_reports ORDER BY id")
        health = [(json.loads(r["failed"]), json.loads(r["report"])) for r in health_rows]
        orders = db.execute(
            "SELECT part, source, closed_at FROM fleet_work_orders ORDER BY id"
        ).fetchall()
    # Reads of the case and its papers are audited too, interleaved with the call's steps.
    reads = ("case.read", "case.list", "material.list", "rating.read", "rating.list")
    steps = [a for a in actions if a not in reads]
    assert steps[: len(CALL_ACTIONS)] == CALL_ACTIONS
    assert "case.read" in actions
    # The call ends the session's audit trail; only the resident's rating comes after it.
    assert steps[-2:] == ["session.end", "rating.give"], actions[-4:]

    # The officer's 读取身份证: the kiosk autopilot laid the first demo card on the reader,
    # the console showed it masked, the hub stored it encrypted.
    first = load_residents()[0].id_number
    assert c["identity_shown"] is True and c["masked_id"] == mask_id_number(first), c
    assert k["identity_reports"] == 1, k
    assert [a for a in actions if a.startswith(("device.", "identity."))][:2] == [
        "device.command",
        "identity.store",
    ], actions
    assert [r["session_id"] for r in identities] == [k["session_id"]]
    assert first.encode() not in identities[0]["ciphertext"]

    # 打印回执 then 签署表单: the hub rendered both, the kiosk printed the receipt on the
    # simulated printer and the autopilot signed the form on the pad; the officer saw it.
    assert c["receipt_printed"] is True and c["form_signed"] is True, c
    assert (k["documents_printed"], k["forms_signed"]) == (1, 1), k
    assert [(d["session_id"], d["kind"]) for d in documents] == [
        (k["session_id"], "receipt"),
        (k["session_id"], "form"),
    ]
    assert documents[0]["signed_at"] is None
    assert documents[1]["signed_at"] is not None and len(documents[1]["signed_sha256"]) == 64
    doc_actions = [a for a in actions if a.startswith("document.")]
    assert doc_actions.count("document.create") == 2, doc_actions
    assert doc_actions.count("document.fetch") == 2, doc_actions  # the kiosk: print, pad
    assert doc_actions.count("document.sign") == 1, doc_actions
    assert "document.fetch_signed" in doc_actions, doc_actions  # the officer's preview
    assert doc_actions.index("document.sign") < doc_actions.index("document.fetch_signed")

    # 拍摄材料 twice: the simulated document camera's pages, auto-captured at the kiosk,
    # stored by the hub against the session (one per command) and shown on the console.
    assert (k["pages_captured"], k["pages_delivered"], c["pages_shown"]) == (2, 2, 2), (k, c)
    assert [(m["session_id"], m["page_no"]) for m in materials] == [
        (k["session_id"], 1),
        (k["session_id"], 2),
    ]
    commands = {m["command_id"] for m in materials}
    assert len(commands) == 2 and None not in commands, commands
    # 导出PDF: the console saved both pages as one PDF, made and audited by the hub.
    assert "material.export" in actions, actions
    assert (out / "materials.pdf").read_bytes().startswith(b"%PDF-")

    # The case (issue 6): opened at the take, a page on its checklist, closed 当场办结.
    assert c["case"]["state"] == "completed" and c["case"]["case_no"], c
    with hub_db(stack) as db:
        case = db.execute("SELECT case_no, state, last4_digest FROM cases").fetchone()
    assert (case["case_no"], case["state"]) == (c["case"]["case_no"], "completed")
    assert case["last4_digest"] is not None  # the ID card read: progress look-up possible

    # Issue 6: the matter chosen on the start pages, its checklist shown before the call,
    # the case opened on it (under the catalogue version of the day) and closed 当场办结.
    assert (summary["matter_code"], summary["checklist_shown"]) == (DEMO_MATTER, True), summary
    demo_matter = load_sample().matter(DEMO_MATTER)
    assert demo_matter is not None and summary["checklist_items"] == len(demo_matter.materials)
    assert [(t["matter"], t["line"]) for t in tickets] == [(DEMO_MATTER, "civil")]
    assert len(cases) == 1, cases
    case = cases[0]
    assert (case["session_id"], case["matter_code"], case["state"]) == (
        row["id"],
        DEMO_MATTER,
        "completed",
    )
    assert case["catalogue_version_id"] == catalogue_version is not None
    assert (summary["case_no"], summary["case_state"]) == (case["case_no"], "completed")
    # The printed receipt's QR code (read back from its image) is the case number.
    assert summary["receipt_qr"] == f"RVW-CASE:{case['case_no']}", summary
    # The case's identity and pages are the session's; both pages were put on the checklist.
    page_ids = {str(m["id"]) for m in materials}
    assert [(m["kind"], m["ref"]) for m in case_materials] == [
        ("page", ref) for ref in sorted(page_ids, key=int)
    ]
    # Page 1 to the ID card, page 2 to the next missing item (户口簿), as the console showed.
    items = [m["item_code"] for m in case_materials]
    assert items == summary["case_pages_assigned_to"] == ["id", "hkb"], (items, summary)
    # The rating: 非常满意 for this case, tied to its officer and the kiosk's helper.
    assert len(ratings) == 1, ratings
    rating = ratings[0]
    assert (rating["session_id"], rating["case_id"], rating["level"]) == (row["id"], case["id"], 5)
    assert (rating["officer_id"], rating["helper"]) == (row["officer_id"], DEMO_HELPER)
    assert summary["rating_level"] == 5
    # The day's report from the hub's own figures, and what the admin's 报表 tab showed.
    day = dt.date.fromisoformat(summary["report_day"])
    assert day == dt.date.today()
    total = asyncio.run(asyncio.wait_for(_report_total(stack, day), 30))
    assert (total["cases"], total["outcomes"].get("completed"), total["rated"]) == (1, 1, 1)
    assert total["ratings"].get("5") == 1, total
    figures = ("report_cases", "report_completed", "report_ratings")
    assert [summary[f] for f in figures] == [1, 1, 1], summary

    # Issue 7: vw-health --json --report on the demo kiosk reports every part and nothing
    # failed; then its printer (a CUPS server that is down) fails: a failed check, a work
    # order, the matters that need a printer hidden; the admin's 设备运维 view shows it.
    assert summary["health_every_part"] and summary["health_exit_code"] == 0, summary
    # The running kiosk reports on its own too (its health monitor): those come first.
    *healthy, (broken_failed, broken_report) = health
    assert healthy and all(failed == [] for failed, _ in healthy), health
    assert [ch["part"] for ch in healthy[-1][1]["checks"]] == list(HEALTH_PARTS)
    assert broken_failed == ["printer"] and len(broken_report["checks"]) == 1
    assert [(o["part"], o["source"], o["closed_at"]) for o in orders] == [
        ("printer", "health", None)
    ]
    needs_printer = {m.code for m in load_sample().matters if m.remote and "printer" in m.devices}
    assert summary["broken_printer_status"] == "failed"
    assert summary["broken_printer_hidden_matters"] == len(needs_printer) > 0
    assert summary["demo_matter_hidden_by_broken_printer"] is (DEMO_MATTER in needs_printer)
    assert summary["fleet_open_orders"] == 1
    [point] = summary["fleet_points"]
    assert (point["failed_parts"], point["open_orders"]) == (["printer"], 1), point

    # Screens a person looks at.
    shots = {p.name for p in out.glob("*.png")}
    assert {"kiosk-start-category.png", "kiosk-start-matters.png"} <= shots
    assert {"kiosk-start-checklist.png", "console-case.png", "kiosk-rating.png"} <= shots
    assert {"console-reports.png", "console-fleet.png"} <= shots
    assert {"kiosk-capture.png", "console-materials.png"} <= shots
    assert {"receipt.png", "kiosk-signature.png", "console-signed.png"} <= shots
    assert {"kiosk-face.png", "kiosk-touch.png", "console-call.png", "console-history.png"} <= shots
    assert {"console-identity.png", "kiosk-card-prompt.png"} <= shots
    for name in shots:
        shutil.copy(out / name, test_output / f"e2e-{name}")


async def _report_total(stack: Stack, day: dt.date) -> dict[str, Any]:
    """The hub's report for `day`, computed by its reports module on its database."""
    db = Database(load_hub_config(stack.hub_config).db_url)
    try:
        return (await build_report(db, day, day, "day")).total
    finally:
        await db.dispose()


def test_call_comes_back_after_the_media_path_dies(tmp_path: Path, qt_env: dict[str, str]) -> None:
    """All UDP (the media) is dropped for 7 s inside the test's namespace; TCP (the hub) is not.

    The kiosk notices the silence, builds a new peer connection and offers again under
    the same session; video flows again and the call ends normally.
    """
    missing = Namespace.available()
    if missing is not None:  # the one test that really drops packets must not vanish
        pytest.fail(f"this test needs a network namespace: {missing}")
    out = tmp_path / "out"
    with Namespace() as ns, running_stack(tmp_path / "stack", qt_env, ns.prefix) as stack:
        kiosk_config = stack.enroll_kiosk()
        console = stack.start_console(
            stack.console_config(), "--autopilot", "--report", str(out / "console-report.json"),
            "--screenshots", str(out), "--timeout", "120",
        )  # fmt: skip
        kiosk = stack.start_kiosk(
            kiosk_config, "--autopilot", "--call-seconds", "22",
            "--report", str(out / "kiosk-report.json"), "--screenshots", str(out),
            "--timeout", "120",
        )  # fmt: skip

        def connected() -> bool:
            try:
                with hub_db(stack) as db:
                    row = db.execute("SELECT connected_at FROM sessions").fetchone()
                return row is not None and row[0] is not None
            except Exception:
                return False

        assert wait_for(connected, 60), logs_of(stack)
        time.sleep(3)  # not a wait: the call runs a while before its media path dies
        ns.drop_udp()
        time.sleep(7)  # not a wait: the outage outlasts ICE's consent timeout
        ns.restore_udp()
        restored_at = time.time()
        kiosk_code, console_code = kiosk.wait(120), console.wait(60)
        codes = stack.stop_all()
        context = logs_of(stack)
        k = read_report(out / "kiosk-report.json")
        c = read_report(out / "console-report.json")
        with hub_db(stack) as db:
            sessions = db.execute("SELECT * FROM sessions").fetchall()
            reconnect_audits = db.execute(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'rtc.reconnect'"
            ).fetchone()[0]

    assert (kiosk_code, console_code, codes["hub"]) == (0, 0, 0), context
    assert k["error"] is None and c["error"] is None, context
    # Same session all along, ended by the resident's hang-up, not by the outage.
    assert len(sessions) == 1, context
    assert sessions[0]["id"] == k["session_id"] == c["session_id"]
    assert (sessions[0]["end_reason"], sessions[0]["ended_by"]) == ("hangup", "kiosk")
    assert sessions[0]["reconnects"] >= 1 and reconnect_audits >= 1
    assert k["reconnects"] >= 1 and c["reconnects"] >= 1
    # Video flowed again after the path came back, on both sides.
    assert k["last_remote_frame_at"] > restored_at + 3, (k, restored_at)
    assert c["last_remote_frame_at"] > restored_at + 3, (c, restored_at)
