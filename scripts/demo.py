"""`make demo`: the whole system on this machine, on simulated devices.

With a display (or `--mode interactive`) the hub, a kiosk and a console start as
windows and a person plays both sides; Ctrl-C stops everything. Without a display
(or `--mode tour`) a scripted tour runs: the kiosk joins the queue, the console
takes the ticket, the call runs for a few seconds, both hang up, and
`var/demo/summary.json` plus screenshots land in `var/demo/`.
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

from scripts.stack import DEMO_OFFICER, Stack, offscreen_platform, read_report  # noqa: E402

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
        # The officer's 打印回执 printed at the kiosk, and 签署表单 came back signed.
        "receipt_printed": bool(console.get("receipt_printed"))
        and int(kiosk.get("documents_printed") or 0) > 0,
        "form_signed": bool(console.get("form_signed")) and int(kiosk.get("forms_signed") or 0) > 0,
        "errors": {
            k: r["error"] for k, r in (("kiosk", kiosk), ("console", console)) if r.get("error")
        },
        "exit_codes": codes,
        "screenshots": sorted(p.name for p in DEMO_OUT.glob("*.png")),
    }


def run_tour(stack: Stack, call_seconds: float) -> int:
    """The scripted tour; returns 0 when the call connected and every process exited 0."""
    kiosk_report, console_report = DEMO_OUT / "kiosk-report.json", DEMO_OUT / "console-report.json"
    for stale in [kiosk_report, console_report, *DEMO_OUT.glob("*.png")]:
        stale.unlink(missing_ok=True)
    # Tones both ways, each side recording what it hears to heard.wav: an audible record.
    stack.audio = True
    kiosk_config = stack.enroll_kiosk()
    console = stack.start_console(
        stack.console_config(), "--autopilot", "--report", str(console_report),
        "--screenshots", str(DEMO_OUT), "--timeout", "120",
    )  # fmt: skip
    # The console logs in first so the ticket is taken as soon as it appears.
    time.sleep(1.0)
    kiosk = stack.start_kiosk(
        kiosk_config, "--autopilot", "--call-seconds", str(call_seconds),
        "--report", str(kiosk_report), "--screenshots", str(DEMO_OUT), "--timeout", "120",
    )  # fmt: skip
    codes = {"kiosk": kiosk.wait(150), "console": console.wait(60)}
    codes.update({k: v for k, v in stack.stop_all().items() if k == "hub"})
    summary = summarise(read_report(kiosk_report), read_report(console_report), codes)
    summary["audio_heard"] = [
        str(path) for path in map(stack.heard_wav, ("kiosk1", "console1")) if path.exists()
    ]
    (DEMO_OUT / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    ok = summary["call_connected"] and all(code == 0 for code in codes.values())
    print(f"demo tour {'succeeded' if ok else 'FAILED'}; logs in {stack.log_dir}")
    return 0 if ok else 1


def run_interactive(stack: Stack) -> int:
    """Hub, kiosk and console as windows; stops everything when any of them exits or on Ctrl-C."""
    kiosk_config = stack.enroll_kiosk()
    stack.start_kiosk(kiosk_config)
    stack.start_console(stack.console_config())
    print(f"hub at {stack.hub_url}; officer login {DEMO_OFFICER[0]} / {DEMO_OFFICER[2]}")
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
