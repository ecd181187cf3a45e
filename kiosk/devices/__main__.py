"""`python -m kiosk.devices KIND ACTION ...`: use a device without the kiosk app.

For technicians and for the health checks. Each device kind with a `cli` module
(`kiosk/devices/<kind>/cli.py`) that defines `register(subparsers)` appears here as
a subcommand; `register` adds its parser and sets `func` to an `async` callable
taking the parsed arguments and returning the exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path

import kiosk.devices


def build_parser() -> argparse.ArgumentParser:
    """The parser with one subcommand per device kind that has a `cli` module."""
    parser = argparse.ArgumentParser(prog="python -m kiosk.devices", description=__doc__)
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    package_dir = Path(kiosk.devices.__file__).parent
    for info in sorted(pkgutil.iter_modules([str(package_dir)]), key=lambda i: i.name):
        if info.ispkg and (package_dir / info.name / "cli.py").exists():
            module = importlib.import_module(f"kiosk.devices.{info.name}.cli")
            module.register(kinds)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen device action."""
    args = build_parser().parse_args(argv)
    return int(asyncio.run(args.func(args)))


if __name__ == "__main__":
    sys.exit(main())
