"""`make demo`: the whole system on this machine, on simulated devices.

With a display (or `--mode interactive`) the hub, a kiosk and a console start as
windows and a person plays both sides; Ctrl-C stops everything. Without a display
(or `--mode tour`) a scripted tour handles one case start to finish (matter, checklist,
call, case with identity and pages, receipt, outcome, rating), runs the technician's
health checks on the kiosk (then again with its printer broken), and lets an admin's
console show the day's 报表 and the 设备运维 view; `var/demo/summary.json` plus
screenshots land in `var/demo/` (see the README's demo section).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from kiosk.health.base import PARTS as HEALTH_PARTS  # noqa: E402
from kiosk.health.monitor import unavailable_from  # noqa: E402
from scripts.stack import (  # noqa: E402
    DEMO_ADMIN,
    DEMO_MATTER,
    DEMO_OFFICER,
    Stack,
    offscreen_platform,
    read_report,
)
from shared.catalogue.io import load_sample  # noqa: E402
from shared.protocol.health import CheckResult  # noqa: E402

VAR = REPO / "var"
DEMO_OUT = VAR / "demo"


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _ms(later: Any, earlier: Any) -> float | None:
    if isinstance(later, int | float) and isinstance(earlier, int | float):
        return round((later - earlier) * 1000.0, 1)
    return None


def summarise(
    kiosk: dict[str, Any], console: dict[str, Any], codes: dict[str, int]
) -> dict[str, Any]:
    """The tour's summary: did the call connect, how fast, how many frames, how it ended."""
    both_frames = [kiosk.get("first_remote_frame_at"), console.get("first_remote_frame_at")]
    stamps = [float(t) for t in both_frames if isinstance(t, int | float)]
    video_both = max(stamps) if len(stamps) == 2 else None
    return {
        "call_connected": bool(
            kiosk.get("first_connected_at") and console.get("first_connected_at")
        ),
        "session_id": kiosk.get("session_id"),
        "same_session": kiosk.get("session_id") is not None
        and kiosk.get("session_id") == console.get("session_id"),
        # From the officer's take to the first decoded frame on both sides.
        "setup_ms": _ms(video_both, console.get("took_at")),
        # From the resident's "start" to the first decoded frame on both sides (includes queueing).
        "start_to_video_ms": _ms(video_both, kiosk.get("start_clicked_at")),
        "frames_received_by_kiosk": kiosk.get("frames_received", 0),
        "frames_received_by_console": console.get("frames_received", 0),
        "reconnects": kiosk.get("reconnects", 0),
        "ended_reason": kiosk.get("ended_reason"),
        # The officer's 读取身份证: the masked identity reached the console's panel.
        "identity_shown": bool(console.get("identity_shown")),
        "masked_id": console.get("masked_id"),
        # The officer's 拍摄材料 twice: pages the hub stored, and thumbnails the console showed.
        "pages_delivered": kiosk.get("pages_delivered", 0),
        "pages_shown_on_console": console.get("pages_shown", 0),
        # The document camera's preview, the call's second video track.
        "doccam_frames_sent_by_kiosk": kiosk.get("doccam_frames_sent", 0),
        "doccam_frames_received_by_console": console.get("doccam_frames_received", 0),
        # The officer's 打印回执 printed at the kiosk, and 签署表单 came back signed.
        "receipt_printed": bool(console.get("receipt_printed"))
        and int(kiosk.get("documents_printed") or 0) > 0,
        "form_signed": bool(console.get("form_signed")) and int(kiosk.get("forms_signed") or 0) > 0,
        "errors": {
            k: r["error"] for k, r in (("kiosk", kiosk), ("console", console)) if r.get("error")
        },
        "exit_codes": codes,
    }


def health_summary(code: int, stdout: str) -> dict[str, Any]:
    """What `vw-health --json --report` said: every part and its status (issue 7)."""
    try:
        checks = json.loads(stdout)["checks"]
        statuses = {str(c["part"]): str(c["status"]) for c in checks}
    except (ValueError, KeyError, TypeError):
        statuses = {}
    return {
        "health_exit_code": code,
        "health_statuses": statuses,
        "health_every_part": bool(statuses) and set(statuses) == set(HEALTH_PARTS),
    }


def broken_printer_summary(code: int, stdout: str) -> dict[str, Any]:
    """A broken printer's check, and the matters a kiosk stops offering because of it."""
    try:
        checks = [CheckResult.model_validate(c) for c in json.loads(stdout)["checks"]]
    except (ValueError, KeyError, TypeError):
        checks = []
    down = unavailable_from(checks)
    # Matters the kiosk offered before and no longer offers (not those never handled remotely).
    offers = load_sample().offered(set(down))
    hidden = [o.matter.code for o in offers if o.matter.remote and o.missing_devices]
    return {
        "broken_printer_exit_code": code,
        "broken_printer_status": next(
            (c.status.value for c in checks if c.part == "printer"), None
        ),
        "broken_printer_hidden_matters": len(hidden),
        "demo_matter_hidden_by_broken_printer": DEMO_MATTER in hidden,
    }


def receipt_qr(out: Path) -> str | None:
    """What the QR code on the printed receipt (`receipt.png`) says, None when unreadable."""
    import cv2  # noqa: PLC0415 - only the tour reads the receipt back

    image = cv2.imread(str(out / "receipt.png"))
    if image is None:
        return None
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(image)
    return str(text) or None


def case_summary(
    kiosk: dict[str, Any], console: dict[str, Any], admin: dict[str, Any]
) -> dict[str, Any]:
    """The case start to finish (issue 6): matter, checklist, case, rating, the day's report."""
    case = console.get("case") or {}
    report = admin.get("report") or {}
    fleet = admin.get("fleet") or {}
    return {
        "matter_code": kiosk.get("matter_code"),
        "checklist_shown": int(kiosk.get("checklist_items") or 0) > 0,
        "checklist_items": kiosk.get("checklist_items", 0),
        "case_no": case.get("case_no"),
        "case_state": case.get("state"),
        "case_pages_assigned_to": case.get("assigned_pages"),
        "rating_level": kiosk.get("rating_level"),
        "report_day": report.get("day"),
        "report_cases": report.get("cases"),
        "report_completed": report.get("completed"),
        "report_ratings": report.get("rated"),
        "fleet_points": fleet.get("points"),
        "fleet_open_orders": fleet.get("open_orders"),
    }


def run_tour_in(
    stack: Stack, out: Path, call_seconds: float, timeout: float = 120.0
) -> dict[str, Any]:
    """The whole tour on a running hub, screenshots and reports into `out`; the summary.

    The call (kiosk and officer on autopilot), then the technician's `vw-health --json
    --report` on the same kiosk, then the admin's console for the day's 报表 and the
    设备运维 view. The tests run this same function.
    """
    out.mkdir(parents=True, exist_ok=True)
    kiosk_report, console_report = out / "kiosk-report.json", out / "console-report.json"
    admin_report = out / "admin-report.json"
    for stale in [kiosk_report, console_report, admin_report, *out.glob("*.png")]:
        stale.unlink(missing_ok=True)
    kiosk_config = stack.enroll_kiosk()
    console = stack.start_console(
        stack.console_config(), "--autopilot", "--report", str(console_report),
        "--screenshots", str(out), "--timeout", str(timeout),
    )  # fmt: skip
    # The console logs in first so the ticket is taken as soon as it appears.
    time.sleep(1.0)
    kiosk = stack.start_kiosk(
        kiosk_config, "--autopilot", "--call-seconds", str(call_seconds), "--matter", DEMO_MATTER,
        "--report", str(kiosk_report), "--screenshots", str(out), "--timeout", str(timeout),
    )  # fmt: skip
    codes = {"kiosk": kiosk.wait(timeout + 30), "console": console.wait(60)}
    # The technician's checks on the kiosk that just served the call, sent to the hub.
    health = health_summary(*stack.run_health(kiosk_config, "--json", "--report"))
    # Then its printer breaks: a failed check, a work order on the hub, matters hidden.
    broken = stack.broken_printer_config()
    health.update(
        broken_printer_summary(*stack.run_health(broken, "--json", "--report", "--only", "printer"))
    )
    admin = stack.start_console(
        stack.console_config("admin1", "管理员"), "--autopilot", "--max-calls", "0",
        "--report", str(admin_report), "--screenshots", str(out), "--timeout", "60",
        name="console-admin", admin=True,
    )  # fmt: skip
    codes["console-admin"] = admin.wait(90)
    k, c, a = read_report(kiosk_report), read_report(console_report), read_report(admin_report)
    summary = summarise(k, c, codes)
    if a.get("error"):
        summary["errors"]["console-admin"] = a["error"]
    summary.update(case_summary(k, c, a))
    summary["receipt_qr"] = receipt_qr(out)
    summary.update(health)
    summary["screenshots"] = sorted(p.name for p in out.glob("*.png"))
    return summary


def run_tour(stack: Stack, call_seconds: float) -> int:
    """The scripted tour; returns 0 when the case went through and every process exited 0."""
    # Tones both ways, each side recording what it hears to heard.wav: an audible record.
    stack.audio = True
    summary = run_tour_in(stack, DEMO_OUT, call_seconds)
    summary["exit_codes"].update({k: v for k, v in stack.stop_all().items() if k == "hub"})
    summary["audio_heard"] = [
        str(path) for path in map(stack.heard_wav, ("kiosk1", "console1")) if path.exists()
    ]
    (DEMO_OUT / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    ok = (
        summary["call_connected"]
        and summary["case_state"] == "completed"
        and summary["health_every_part"]
        and all(code == 0 for code in summary["exit_codes"].values())
    )
    print(f"demo tour {'succeeded' if ok else 'FAILED'}; logs in {stack.log_dir}")
    return 0 if ok else 1


def run_interactive(stack: Stack) -> int:
    """Hub, kiosk and console as windows; stops everything when any of them exits or on Ctrl-C."""
    kiosk_config = stack.enroll_kiosk()
    stack.start_kiosk(kiosk_config)
    stack.start_console(stack.console_config())
    print(f"hub at {stack.hub_url}; officer login {DEMO_OFFICER[0]} / {DEMO_OFFICER[2]}")
    print(f"admin login (报表, 设备运维) {DEMO_ADMIN[0]} / {DEMO_ADMIN[2]}")
    print("close a window or press Ctrl-C to stop")
    try:
        while all(c.proc.poll() is None for c in stack.children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    codes = stack.stop_all()
    print(f"exit codes: {codes}")
    return 0


def main() -> int:
    """Parse arguments, lay out var/, start the hub and run the chosen mode."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["auto", "tour", "interactive"], default="auto")
    parser.add_argument("--call-seconds", type=float, default=5.0)
    parser.add_argument("--fresh", action="store_true", help="start from an empty var/")
    args = parser.parse_args()
    mode = args.mode if args.mode != "auto" else ("interactive" if _has_display() else "tour")

    if args.fresh:
        shutil.rmtree(VAR / "stack", ignore_errors=True)
    DEMO_OUT.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if mode == "tour":
        env["QT_QPA_PLATFORM"] = offscreen_platform(DEMO_OUT)
    stack = Stack(root=VAR / "stack", env=env, python=sys.executable)
    stack.init_hub()  # picks a free loopback port for this run
    stack.start_hub()
    try:
        return run_tour(stack, args.call_seconds) if mode == "tour" else run_interactive(stack)
    finally:
        stack.stop_all()


if __name__ == "__main__":
    sys.exit(main())
