"""A fresh Debian 12 root made by debootstrap, and commands run inside it with chroot.

The root lives under var/system-test/ and is made anew for every run (nothing is cached
between runs). Only /proc is mounted into it; `close` unmounts it before anything is
removed, and removal never crosses into another file system.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

SUITE = "bookworm"
PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def debian_mirror(
    sources: Sequence[Path] = (
        Path("/etc/apt/sources.list"),
        *sorted(Path("/etc/apt/sources.list.d").glob("*")),
    ),
) -> str:
    """The Debian mirror this machine's apt uses for bookworm (one-line or deb822 sources)."""
    for path in sources:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".sources":
            for stanza in re.split(r"\n\s*\n", text):
                fields = dict(
                    (m.group(1).lower(), m.group(2).strip())
                    for m in re.finditer(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.M)
                )
                if (
                    SUITE in fields.get("suites", "").split()
                    and "deb" in fields.get("types", "").split()
                ):
                    return fields["uris"].split()[0]
        elif path.suffix in (".list", ""):
            for line in text.splitlines():
                words = re.sub(r"\[[^]]*\]", "", line).split()
                if len(words) >= 3 and words[0] == "deb" and words[2] == SUITE:
                    return words[1]
    raise RuntimeError(f"no Debian {SUITE} mirror in this machine's apt sources")


def start_debootstrap(root: Path, mirror: str, log: Path) -> subprocess.Popen[bytes]:
    """Start making a minimal Debian 12 root at `root` (wait for it with `.wait()`)."""
    if root.exists():
        remove_root(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        return subprocess.Popen(
            ["debootstrap", "--variant=minbase", SUITE, str(root), mirror],
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _mounts_under(root: Path) -> list[str]:
    prefix = str(root.resolve()) + "/"
    with open("/proc/mounts", encoding="utf-8") as mounts:
        points = [line.split()[1] for line in mounts]
    return sorted((p for p in points if p.startswith(prefix)), reverse=True)


def remove_root(root: Path) -> None:
    """Unmount whatever is mounted under `root`, then delete it (on its own file system only)."""
    for point in _mounts_under(root):
        subprocess.run(["umount", "--lazy", point], check=True)
    if _mounts_under(root):
        raise RuntimeError(f"{root} still has mounts; not removing it")
    subprocess.run(["rm", "-rf", "--one-file-system", str(root)], check=True)


class DebianRoot:
    """Runs commands inside a debootstrapped root, as root or as one of its users."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._procs: list[subprocess.Popen[str]] = []

    def prepare(self) -> None:
        """Mount /proc, keep services from starting, and give apt the host's DNS."""
        subprocess.run(["mount", "-t", "proc", "proc", str(self.root / "proc")], check=True)
        # No init runs in a chroot: maintainer scripts must not try to start services.
        policy = self.root / "usr/sbin/policy-rc.d"
        policy.write_text("#!/bin/sh\nexit 101\n", encoding="utf-8")
        policy.chmod(0o755)
        shutil.copy("/etc/resolv.conf", self.root / "etc/resolv.conf")

    def path(self, inside: str) -> Path:
        """The host path of `inside` (an absolute path in the root)."""
        return self.root / inside.lstrip("/")

    def command(self, args: Sequence[str], user: str | None = None) -> list[str]:
        """The host command line that runs `args` in the root (as `user` when given).

        chroot, env and setpriv each exec the next, so the process the caller gets is the
        program itself: a signal sent to it reaches the program.
        """
        home = "/root" if user is None else self._home(user)
        env = ["env", "-i", f"PATH={PATH}", f"HOME={home}", "LANG=C.UTF-8"]
        env.append("DEBIAN_FRONTEND=noninteractive")
        run_as = []
        if user is not None:
            run_as = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--"]
        return ["chroot", str(self.root), *env, *run_as, *args]

    def _home(self, user: str) -> str:
        for line in self.path("/etc/passwd").read_text(encoding="utf-8").splitlines():
            fields = line.split(":")
            if fields[0] == user:
                return fields[5]
        raise KeyError(f"no user {user} in the root")

    def run(
        self,
        args: Sequence[str],
        user: str | None = None,
        input: str | None = None,
        timeout: float = 600,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run `args` to completion; with `check`, a failure raises with its output."""
        done = subprocess.run(
            self.command(args, user),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {done.returncode}\n"
                f"stdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}"
            )
        return done

    def start(
        self, args: Sequence[str], log: Path, user: str | None = None
    ) -> subprocess.Popen[str]:
        """Start `args` in the background, its output going to `log` on the host."""
        with log.open("w", encoding="utf-8") as out:
            proc = subprocess.Popen(
                self.command(args, user), stdout=out, stderr=subprocess.STDOUT, text=True
            )
        self._procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[str], timeout: float = 60) -> int:
        """SIGTERM `proc` and wait for it; returns its exit status."""
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=timeout)
        self._procs.remove(proc)
        return code

    def close(self) -> None:
        """Kill what is still running (a failed test's leftovers) and unmount /proc."""
        for proc in self._procs:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
        self._procs.clear()
        for point in _mounts_under(self.root):
            subprocess.run(["umount", "--lazy", point], check=False)
