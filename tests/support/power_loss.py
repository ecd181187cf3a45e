"""Test-side control of `tests.support.lossyfs`: mount, cut the power, boot again.

    with LossyMount(tmp_path / "disk") as disk:
        ...write under disk.path...
        survived = disk.power_cut()   # a real folder: what the disk kept

A mount that cannot be had (no /dev/fuse, no fusermount3) fails the test with
what is missing: power-loss tests are never skipped.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.support.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
_DEADLINE_S = 30.0


def _wait_for(condition: Callable[[], bool], what: str, proc: subprocess.Popen[bytes]) -> None:
    def ready() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(
                f"lossyfs exited ({proc.returncode}) waiting for {what}: {_stderr(proc)}"
            )
        return condition()

    wait_until(ready, f"lossyfs: {what}", timeout=_DEADLINE_S)


def _stderr(proc: subprocess.Popen[bytes]) -> str:
    return (
        proc.stderr.read().decode(errors="replace")
        if proc.stderr and proc.poll() is not None
        else ""
    )


class LossyMount:
    """A lossyfs mount in its own process (see `tests.support.lossyfs`)."""

    def __init__(self, root: Path, seed: Path | None = None) -> None:
        missing = [tool for tool in ("fusermount3",) if shutil.which(tool) is None]
        if not os.path.exists("/dev/fuse") or missing:
            raise RuntimeError(
                f"power-loss tests need /dev/fuse and {missing or 'fuse3'} (Debian: fuse3)"
            )
        self.path = root / "mnt"
        self.dump = root / "after-power-cut"
        self.path.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "tests.support.lossyfs", str(self.path), str(self.dump)]
        if seed is not None:
            cmd += ["--seed", str(seed)]
        self._proc = subprocess.Popen(cmd, cwd=REPO, stderr=subprocess.PIPE)
        _wait_for(lambda: os.path.ismount(self.path), "mount", self._proc)

    def power_cut(self) -> Path:
        """Cuts the power: returns a real folder holding only what was made durable."""
        done = self.dump.parent / (self.dump.name + ".done")
        self._proc.send_signal(signal.SIGUSR1)
        _wait_for(done.exists, "dump after the power cut", self._proc)
        return self.dump

    def close(self) -> int:
        """Unmounts; returns the filesystem process's exit status (0 when all went well)."""
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            self._proc.wait(timeout=_DEADLINE_S)
        return self._proc.returncode

    def __enter__(self) -> LossyMount:
        return self

    def __exit__(self, *exc: object) -> None:
        status = self.close()
        if exc[0] is None:
            assert status == 0, f"lossyfs exited {status}: {_stderr(self._proc)}"
