"""End to end: a real hub, a kiosk and a console as processes, a real call between them.

Both apps run on autopilot, which clicks their real buttons: the kiosk's 开始办理
and 挂断, the console's login form and 接听. The hub is stopped with SIGTERM at the
end; every process must exit with status 0.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from kiosk.devices.idcard.simulated import load_residents
from scripts.stack import read_report
from shared.idcard import mask_id_number
from tests.e2e import Namespace, hub_db, logs_of, run_call, running_stack, wait_for

pytestmark = pytest.mark.slow

CALL_ACTIONS = ["queue.join", "session.start", "rtc.offer", "rtc.answer", "call.connected"]


def test_call_end_to_end(tmp_path: Path, qt_env: dict[str, str], test_output: Path) -> None:
    out = tmp_path / "out"
    with running_stack(tmp_path / "stack", qt_env) as stack:
        kiosk, console, k, c = run_call(stack, out, call_seconds=4)
        codes = stack.stop_all()
        context = logs_of(stack)
    assert (kiosk.proc.returncode, console.proc.returncode, codes["hub"]) == (0, 0, 0), context
    assert k["error"] is None and c["error"] is None, context

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
            "SELECT session_id, page_no, command_id FROM materials ORDER BY page_no"
        ).fetchall()
    assert actions[: len(CALL_ACTIONS)] == CALL_ACTIONS
    assert actions[-1] == "session.end"

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

    # Screens a person looks at.
    shots = {p.name for p in out.glob("*.png")}
    assert {"kiosk-capture.png", "console-materials.png"} <= shots
    assert {"receipt.png", "kiosk-signature.png", "console-signed.png"} <= shots
    assert {"kiosk-face.png", "kiosk-touch.png", "console-call.png", "console-history.png"} <= shots
    assert {"console-identity.png", "kiosk-card-prompt.png"} <= shots
    for name in shots:
        shutil.copy(out / name, test_output / f"e2e-{name}")


_NO_NETNS = Namespace.available()


@pytest.mark.skipif(_NO_NETNS is not None, reason=f"needs a network namespace: {_NO_NETNS}")
def test_call_comes_back_after_the_media_path_dies(tmp_path: Path, qt_env: dict[str, str]) -> None:
    """All UDP (the media) is dropped for 7 s inside the test's namespace; TCP (the hub) is not.

    The kiosk notices the silence, builds a new peer connection and offers again under
    the same session; video flows again and the call ends normally.
    """
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
        time.sleep(3)
        ns.drop_udp()
        time.sleep(7)
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
