"""`--version` on the three commands: the installed distribution's version, exit 0."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import pytest

from shared.version import DISTRIBUTION, package_version


def test_package_version_is_the_installed_one() -> None:
    assert package_version() == metadata.version(DISTRIBUTION)


@pytest.mark.parametrize(
    ("module", "prog"),
    [("kiosk", "vw-kiosk"), ("backoffice_console", "vw-console"), ("kiosk.health", "vw-health")],
)
def test_version_option(module: str, prog: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", module, "--version"], capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{prog} {metadata.version(DISTRIBUTION)}"
