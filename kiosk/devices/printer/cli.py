"""`python -m kiosk.devices printer status|print FILE|test-page` for technicians."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.devices.printer import (
    JobPhase,
    Media,
    PrinterError,
    PrintOptions,
    open_printer,
)
from shared.documents import Material, Receipt, RenderOptions, render_receipt


def register(subparsers: Any) -> None:
    """Add the `printer` subcommand to `python -m kiosk.devices`."""
    parser = subparsers.add_parser("printer", help="printer status, print a PDF, test page")
    parser.add_argument("--backend", default="cups", choices=["cups", "cups-cli", "simulated"])
    parser.add_argument("--name", default="Kiosk", help="CUPS queue name")
    parser.add_argument("--server", default=None, help="CUPS server (default: CUPS_SERVER)")
    parser.add_argument("--folder", type=Path, default=None, help="simulated printer output")
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("status", help="printer state as JSON")
    print_cmd = actions.add_parser("print", help="print a PDF file and follow the job")
    print_cmd.add_argument("file", type=Path)
    for sub in (print_cmd, actions.add_parser("test-page", help="print a test receipt")):
        sub.add_argument("--media", default="A4", choices=[m.value for m in Media])
        sub.add_argument("--copies", type=int, default=1)
        sub.add_argument("--timeout", type=float, default=60.0)
    parser.set_defaults(func=run)


def _test_page() -> bytes:
    receipt = Receipt(
        case_number="TEST-PAGE",
        matter="打印机测试页 Printer test page",
        resident_name="测试",
        id_number="11010519491231002X",
        materials=[Material(name="测试材料 Test material")],
        officer_number="TECH",
        service_point="设备检测 Device check",
        accepted_at=datetime.now(),
        next_steps="如能清楚看到本页的中文、数字和二维码，打印机工作正常。",
    )
    return render_receipt(receipt, RenderOptions()).pdf


async def run(args: argparse.Namespace) -> int:
    """Run the chosen printer action; prints JSON, returns the exit status."""
    printer = open_printer(args.backend, args.name, args.server, args.folder)
    try:
        if args.action == "status":
            status = await printer.status()
            print(
                json.dumps(
                    {
                        "printer": status.printer,
                        "state": status.state.value,
                        "conditions": sorted(c.value for c in status.conditions),
                        "reasons": list(status.reasons),
                        "message": status.message,
                        "accepting": status.accepting,
                    },
                    ensure_ascii=False,
                )
            )
            return 0 if not status.needs_attention else 3
        if args.action == "print":
            data = args.file.read_bytes()
            title = args.file.name
        else:
            data, title = _test_page(), "test-page"
        options = PrintOptions(media=Media(args.media), copies=args.copies, title=title)
        job = await printer.print_pdf(data, options)
        async with asyncio.timeout(args.timeout):
            # CUPS has no push for one job's end without a subscription: poll.
            while not (state := await printer.job_state(job)).finished:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
        print(
            json.dumps(
                {"job": str(job), "state": state.phase.name.lower(), "reasons": list(state.reasons)}
            )
        )
        return 0 if state.phase is JobPhase.COMPLETED else 2
    except (PrinterError, OSError, TimeoutError) as exc:
        print(f"printer error: {exc}", file=sys.stderr)
        return 1
    finally:
        await printer.close()
