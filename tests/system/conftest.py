"""The system test's stage: the packages built twice (an "old" and the current version),
lintian's verdict, and a fresh Debian 12 root to install them into.

The slow parts overlap: debootstrap runs while the packages build, lintian while the old
version builds. Everything lands in var/system-test/ (logs under var/test-output/system/).
VW_SYSTEM_TEST_PREBUILT=1 uses the .deb files already in var/deb and var/system-test/old-deb
instead of building them (for working on the tests themselves; CI always builds).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.system.debian_root import DebianRoot, debian_mirror, remove_root, start_debootstrap

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / "var" / "system-test"
OUTPUT = REPO / "var" / "test-output" / "system"
NEW_DEBS = REPO / "var" / "deb"
OLD_DEBS = WORK / "old-deb"
PACKAGES = ("vw-common", "vw-hub", "vw-kiosk", "vw-console")


def upstream_version() -> str:
    """The version in pyproject.toml (the version `make deb` builds)."""
    import tomllib  # noqa: PLC0415

    with (REPO / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


@dataclass
class Stage:
    """What the system tests share: versions, .deb folders, lintian's run, the root."""

    new_version: str
    old_version: str
    lintian: subprocess.CompletedProcess[str]
    root: DebianRoot
    timings: dict[str, float] = field(default_factory=dict)


def _run_logged(args: list[str], log: Path, env: dict[str, str] | None = None) -> None:
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(
            args, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=env, check=False
        )
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise AssertionError(f"{' '.join(args)} failed ({done.returncode}); end of {log}:\n{tail}")


def _clean_env() -> dict[str, str]:
    # The build uses Debian's interpreter and tools; the test venv must not leak into it.
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
    return env


@pytest.fixture(scope="session")
def stage() -> Iterator[Stage]:
    """Build old and new packages, run lintian, debootstrap a root; remove the root after."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    started = time.monotonic()
    subprocess.run([str(REPO / "installer/system-packages.sh"), "build"], check=True)
    root_path = WORK / "root"
    bootstrap = start_debootstrap(root_path, debian_mirror(), OUTPUT / "debootstrap.log")
    try:
        new_version = upstream_version()
        old_version = f"{new_version}~old1"
        prebuilt = bool(os.environ.get("VW_SYSTEM_TEST_PREBUILT"))
        t = time.monotonic()
        if not prebuilt:
            _run_logged(["make", "deb"], OUTPUT / "build-new.log", _clean_env())
        timings["build new"] = time.monotonic() - t
        with (OUTPUT / "lintian.txt").open("w", encoding="utf-8") as lintian_out:
            lintian_proc = subprocess.Popen(
                [
                    "lintian",
                    "--fail-on",
                    "error",
                    "--info",
                    "--display-info",
                    *(str(NEW_DEBS / f"{p}_{new_version}_{_arch(p)}.deb") for p in PACKAGES),
                ],
                stdout=lintian_out,
                stderr=subprocess.STDOUT,
                text=True,
            )
            t = time.monotonic()
            env = _clean_env() | {"DEB_VERSION": old_version, "DEB_OUT": str(OLD_DEBS)}
            if not prebuilt:
                _run_logged([str(REPO / "installer/build-deb.sh")], OUTPUT / "build-old.log", env)
            timings["build old"] = time.monotonic() - t
            lintian_code = lintian_proc.wait(timeout=3600)
        timings["lintian (overlapping)"] = time.monotonic() - t
        lintian = subprocess.CompletedProcess(
            lintian_proc.args, lintian_code, (OUTPUT / "lintian.txt").read_text(encoding="utf-8")
        )
        if bootstrap.wait(timeout=3600) != 0:
            tail = (OUTPUT / "debootstrap.log").read_text(errors="replace")[-3000:]
            raise AssertionError(f"debootstrap failed:\n{tail}")
        timings["stage ready"] = time.monotonic() - started
    except BaseException:
        if bootstrap.poll() is None:
            bootstrap.kill()
            bootstrap.wait()
        raise
    root = DebianRoot(root_path)
    root.prepare()
    stage = Stage(new_version, old_version, lintian, root, timings)
    try:
        yield stage
    finally:
        root.close()
        if not os.environ.get("VW_KEEP_SYSTEM_ROOT"):
            remove_root(root_path)
        stage.timings["total"] = time.monotonic() - started
        report = "\n".join(f"{k:>24}: {v:7.1f} s" for k, v in stage.timings.items())
        (OUTPUT / "timings.txt").write_text(report + "\n", encoding="utf-8")
        print(f"\nsystem test timings:\n{report}", file=sys.stderr)


def _arch(package: str) -> str:
    if package == "vw-common":
        return subprocess.run(
            ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
        ).stdout.strip()
    return "all"
