"""The installed package's version, for every command's `--version`.

Read from the distribution's metadata (`importlib.metadata`), so a command reports
what is installed (a Debian package's virtual environment, or a developer's editable
install), not a constant someone forgot to bump.
"""

from __future__ import annotations

import argparse
from importlib import metadata

DISTRIBUTION = "remote-virtual-window"
"""The name in pyproject.toml's `[project]`."""


def package_version() -> str:
    """The installed version of the distribution, or "unknown" when it is not installed."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def add_version_argument(parser: argparse.ArgumentParser) -> None:
    """`--version`: print "<prog> <version>" and exit 0."""
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
