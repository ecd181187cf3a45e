"""`vw-kiosk`: enrol this machine with the hub, or run the kiosk app.

vw-kiosk --config kiosk.toml enroll --code CODE [--name NAME]
vw-kiosk --config kiosk.toml run [--autopilot] [--call-seconds N] [--report PATH]
                                 [--screenshots DIR] [--timeout S]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kiosk.config import KioskConfig, load_kiosk_config
from shared.config import ConfigError
from shared.hubclient import DeviceCredential, HubClient, HubError
from shared.i18n import set_language
from shared.logs import setup_logging
from shared.memory import keep_large_buffers
from shared.version import add_version_argument

log = logging.getLogger("kiosk")

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The command line (see module docstring)."""
    parser = argparse.ArgumentParser(prog="vw-kiosk", description="Remote Virtual Window kiosk")
    parser.add_argument("--config", type=Path, default=None, help="kiosk TOML file")
    add_version_argument(parser)
    sub = parser.add_subparsers(dest="command")
    enroll = sub.add_parser("enroll", help="enrol this machine with a one-time code")
    enroll.add_argument("--code", required=True, help="one-time enrolment code")
    enroll.add_argument("--name", default=None, help="kiosk name (default: [kiosk] name)")
    run = sub.add_parser("run", help="run the kiosk (default)")
    run.add_argument("--autopilot", action="store_true", help="drive the UI through one visit")
    run.add_argument("--call-seconds", type=float, default=5.0, help="autopilot call length")
    run.add_argument("--report", type=Path, default=None, help="autopilot report JSON")
    run.add_argument("--screenshots", type=Path, default=None, help="autopilot screenshot folder")
    run.add_argument("--timeout", type=float, default=120.0, help="autopilot time limit (s)")
    run.add_argument("--matter", default=None, help="autopilot: matter code to choose")
    run.add_argument("--windowed", action="store_true", help="normal windows, not full screen")
    return parser


async def _enroll(config: KioskConfig, code: str, name: str) -> int:
    async def ignore(_message: Any) -> None:
        return None

    client = HubClient(config.hub.url, config.ca_file, ignore)
    try:
        credential = await client.enroll(code, name)
    except HubError as exc:
        print(f"enrolment failed: {exc}", file=sys.stderr)
        return 1
    finally:
        await client.close()
    credential.save(config.credential_file)
    print(f"enrolled as device {credential.device_id}; credential in {config.credential_file}")
    return 0


def _run(config: KioskConfig, args: argparse.Namespace) -> int:
    # Qt is loaded only for `run`, so `enroll` works on a machine without a display.
    from kiosk.ui.autopilot import AutopilotOptions  # noqa: PLC0415
    from kiosk.ui.run import kiosk_main  # noqa: PLC0415
    from shared.ui.runtime import run_app  # noqa: PLC0415

    try:
        credential = DeviceCredential.load(config.credential_file)
    except FileNotFoundError:
        log.error(
            "this kiosk is not enrolled (%s missing): run `vw-kiosk enroll --code CODE` first",
            config.credential_file,
        )
        return EXIT_USAGE
    except (ValueError, KeyError, OSError) as exc:
        log.error("credential file %s unreadable: %s", config.credential_file, exc)
        return EXIT_USAGE
    if config.rtc.loopback:
        from shared.rtc import enable_loopback_mode  # noqa: PLC0415

        enable_loopback_mode()
    pilot = None
    if getattr(args, "autopilot", False):
        pilot = AutopilotOptions(
            call_seconds=args.call_seconds,
            report=args.report,
            screenshots=args.screenshots,
            timeout=args.timeout,
            matter=args.matter,
        )
    windowed = bool(getattr(args, "windowed", False))

    async def main(app: Any) -> int:
        return await kiosk_main(app, config, credential, pilot, fullscreen=not windowed)

    return run_app(sys.argv[:1], main, "vw-kiosk", theme=config.ui.theme)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `vw-kiosk`; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args([*(argv if argv is not None else sys.argv[1:]), "run"])
    try:
        config = load_kiosk_config(args.config)
    except ConfigError as exc:
        print(f"vw-kiosk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    setup_logging("kiosk", config.log_dir)
    set_language(config.ui.language)
    if args.command == "enroll":
        return asyncio.run(_enroll(config, args.code, args.name or config.kiosk.name))
    keep_large_buffers()  # document-camera stills and their pages, page after page
    return _run(config, args)


if __name__ == "__main__":
    sys.exit(main())
