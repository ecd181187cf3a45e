"""`vw-console`: the officer's desktop app (life cycle in backoffice_console/ui/runner.py)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from backoffice_console.config import load_console_config
from shared.config import ConfigError
from shared.i18n import set_language
from shared.logs import setup_logging
from shared.version import add_version_argument

log = logging.getLogger("console")


def build_parser() -> argparse.ArgumentParser:
    """The command line of `vw-console`."""
    parser = argparse.ArgumentParser(
        prog="vw-console",
        description="Remote Virtual Window: the acceptance-centre officer's console",
    )
    parser.add_argument("--config", type=Path, default=None, help="console TOML file")
    add_version_argument(parser)
    parser.add_argument("--username", help="sign in as this officer")
    parser.add_argument("--password-file", type=Path, help="file holding the password")
    parser.add_argument(
        "--autopilot", action="store_true", help="take calls by itself (demo, tests)"
    )
    parser.add_argument("--report", type=Path, help="write a JSON report here on exit")
    parser.add_argument("--screenshots", type=Path, help="autopilot: save screenshots here")
    parser.add_argument("--timeout", type=float, default=120.0, help="autopilot: give up after S s")
    parser.add_argument(
        "--max-calls", type=int, default=1, help="autopilot: calls to take (0: only the tabs)"
    )
    parser.add_argument(
        "--hangup-after", type=float, default=None, help="autopilot: hang up after S s of call"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, set up logging and run the Qt app; the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        config = load_console_config(args.config)
    except ConfigError as exc:
        print(f"vw-console: {exc}", file=sys.stderr)
        return 2
    if args.max_calls < 0 or args.timeout <= 0:
        print("vw-console: --max-calls must be >= 0 and --timeout > 0", file=sys.stderr)
        return 2
    password: str | None = None
    if args.password_file is not None:
        try:
            password = args.password_file.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            print(f"vw-console: cannot read the password file: {exc}", file=sys.stderr)
            return 2
    setup_logging("console", config.log_dir)
    set_language(config.ui.language)
    if config.rtc.loopback:
        from shared.rtc import enable_loopback_mode  # noqa: PLC0415 - aiortc only when needed

        enable_loopback_mode()

    # Qt is loaded only here, after the argument and config checks.
    from backoffice_console.ui.runner import RunOptions, run_console  # noqa: PLC0415

    options = RunOptions(
        config=config,
        username=args.username,
        password=password,
        autopilot=args.autopilot,
        report=args.report,
        screenshots=args.screenshots,
        timeout=args.timeout,
        max_calls=args.max_calls,
        hangup_after=args.hangup_after,
    )

    code = run_console(options)
    log.info("console exited with %d", code)
    return code


if __name__ == "__main__":
    sys.exit(main())
