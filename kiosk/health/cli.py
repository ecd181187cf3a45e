"""`vw-health` (also `python -m kiosk.health`): the technician's checks from the command line.

    vw-health --config kiosk.toml [--json] [--only PART ...] [--test-page] [--report]

Prints a table (or the report as JSON with `--json`). `--test-page` prints the printer
test page; `--report` sends the report to the hub with the kiosk's credential.
Exit status: 0 when no check failed, 1 when one did, 2 for a bad config or command line.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kiosk.config import load_kiosk_config
from kiosk.health.base import DOMAIN, PARTS
from kiosk.health.suite import HealthSuite
from shared.config import ConfigError
from shared.hubclient import DeviceCredential, HubClient, HubError
from shared.i18n import set_language, tr
from shared.protocol.health import CheckStatus, HealthReport
from shared.version import add_version_argument

FLEET_HEALTH_PATH = "/api/v1/fleet/health"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """The command line (see module docstring)."""
    parser = argparse.ArgumentParser(prog="vw-health", description="Kiosk health checks")
    parser.add_argument("--config", type=Path, default=None, help="kiosk TOML file")
    add_version_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--only", nargs="+", choices=PARTS, metavar="PART", help=f"check only: {', '.join(PARTS)}"
    )
    parser.add_argument("--test-page", action="store_true", help="print the printer test page")
    parser.add_argument("--report", action="store_true", help="send the report to the hub")
    parser.add_argument("--lang", choices=("zh_CN", "en"), help="message language")
    return parser


def _width(text: str) -> int:
    """Columns `text` takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def format_table(report: HealthReport) -> str:
    """The report as a table a technician reads in a terminal."""
    rows = [
        (
            tr(DOMAIN, f"part.{c.part}"),
            tr(DOMAIN, f"status.{c.status.value}"),
            c.value or "",
            c.message,
        )
        for c in report.checks
    ]
    header = tuple(tr(DOMAIN, f"col.{k}") for k in ("part", "status", "value", "message"))
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = [
        "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3]
        for row in [header, *rows]
    ]
    lines.insert(1, "-" * (sum(widths) + 6 + _width(header[3])))
    lines.append(f"{report.software_version}  {report.at.isoformat(timespec='seconds')}")
    return "\n".join(lines)


async def send_report(hub: Any, report: HealthReport) -> None:
    """POST the report to the hub (`hub` is a logged-in HubClient); raises HubError."""
    await hub.post_json(FLEET_HEALTH_PATH, report.model_dump(mode="json"))


async def _post(config: Any, report: HealthReport) -> str | None:
    """Send with the kiosk's credential; None on success, else why not."""

    async def ignore(_: Any) -> None:
        return None

    try:
        credential = DeviceCredential.load(config.credential_file)
    except (OSError, ValueError, KeyError) as exc:
        return f"no kiosk credential ({config.credential_file}): {exc}"
    client = HubClient(config.hub.url, config.ca_file, ignore)
    try:
        await client.login_device(credential)
        await send_report(client, report)
    except HubError as exc:
        return str(exc)
    finally:
        await client.close()
    return None


async def run(args: argparse.Namespace) -> int:
    """Run the checks the arguments ask for; print; return the exit status."""
    try:
        config = load_kiosk_config(args.config)
    except ConfigError as exc:
        print(f"vw-health: {exc}", file=sys.stderr)
        return EXIT_USAGE
    set_language(args.lang or config.ui.language)
    report = await HealthSuite(config).run(args.only, args.test_page)
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        print(format_table(report))
    if args.report:
        problem = await _post(config, report)
        if problem is not None:
            print(f"vw-health: the report was not sent: {problem}", file=sys.stderr)
            return EXIT_FAILED
    failed = any(c.status is CheckStatus.FAILED for c in report.checks)
    return EXIT_FAILED if failed else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `vw-health`."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return asyncio.run(run(args))
