"""A private CUPS for the printing tests: its own cupsd, config, port and socket under /tmp.

`cups_server` (session scope) starts `cupsd -f` with a ServerRoot of its own, a
ServerBin whose backend folder holds the system backends plus the scripted one
(tests/support/cups_scripted_backend.py), a cups-pdf queue `PDF` and a raw queue `SCRIPTED`
whose printer condition a test sets with `CupsServer.set_condition`. CUPS_SERVER
points pycups, lp and lpadmin at it; the system cupsd, if any, is never touched.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SYSTEM_SERVERBIN = Path("/usr/lib/cups")
CUPS_PDF_PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class CupsServer:
    """A running private cupsd and its two queues."""

    root: Path
    socket_path: Path
    port: int
    process: subprocess.Popen[bytes]
    state_file: Path

    @property
    def server(self) -> str:
        """What CUPS_SERVER / `CupsPrinter(server=...)` take."""
        return str(self.socket_path)

    @property
    def env(self) -> dict[str, str]:
        """Environment for lp/lpadmin children that talk to this cupsd."""
        return {**os.environ, "CUPS_SERVER": self.server, "LC_ALL": "C"}

    @property
    def scripted_out(self) -> Path:
        """Where the scripted backend puts what it printed."""
        return self.state_file.parent / "out"

    def printed(self) -> list[tuple[str, str]]:
        """(job id, title) for every job the scripted printer completed, in order."""
        log = self.scripted_out / "printed.log"
        if not log.exists():
            return []
        return [tuple(line.split("\t", 1)) for line in log.read_text().splitlines()]  # type: ignore[misc]

    def set_condition(self, word: str) -> None:
        """ok, media-empty, media-jam, cover-open, offline or slow (see the backend)."""
        self.state_file.write_text(word)

    def lpadmin(self, *args: str) -> None:
        """Run lpadmin against this cupsd."""
        subprocess.run(
            ["lpadmin", *args], env=self.env, check=True, capture_output=True, timeout=20
        )

    def error_log(self) -> str:
        """The private error_log (for failure messages)."""
        path = self.root / "log" / "error_log"
        return path.read_text(errors="replace") if path.exists() else ""


def _write_config(root: Path, port: int, sock: Path) -> None:
    for sub in ("etc", "etc/ppd", "cache", "state", "spool", "spool/tmp", "log", "bin/backend"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    # Filters run as lp: they must be able to reach the spool through our folders.
    for path in (root, root / "bin", root / "bin" / "backend"):
        path.chmod(0o755)
    for sub in ("filter", "daemon", "cgi-bin", "driver", "notifier", "monitor"):
        (root / "bin" / sub).symlink_to(SYSTEM_SERVERBIN / sub)
    for backend in (SYSTEM_SERVERBIN / "backend").iterdir():
        (root / "bin" / "backend" / backend.name).symlink_to(backend)
    scripted = root / "bin" / "backend" / "scripted"
    scripted.write_text(
        f'#!/bin/sh\nexec {sys.executable} {HERE / "cups_scripted_backend.py"} "$@"\n'
    )
    scripted.chmod(0o700)  # 0700: cupsd runs it as root, like cups-pdf
    (root / "etc" / "cupsd.conf").write_text(
        f"""LogLevel info
Listen 127.0.0.1:{port}
Listen {sock}
Browsing Off
WebInterface No
PreserveJobHistory Yes
JobRetryInterval 1
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  # Job names are private to their owner by default; these tests submit unauthenticated.
  JobPrivateAccess all
  JobPrivateValues none
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
"""
    )
    (root / "etc" / "cups-files.conf").write_text(
        f"""ServerRoot {root / "etc"}
ServerBin {root / "bin"}
DataDir /usr/share/cups
CacheDir {root / "cache"}
StateDir {root / "state"}
RequestRoot {root / "spool"}
TempDir {root / "spool" / "tmp"}
AccessLog {root / "log" / "access_log"}
ErrorLog {root / "log" / "error_log"}
PageLog {root / "log" / "page_log"}
SystemGroup root
FileDevice No
"""
    )
    # Types and conversions cupsd reads from its ServerRoot.
    for name in ("raw.types", "raw.convs"):
        system = Path("/etc/cups") / name
        if system.exists():
            shutil.copy(system, root / "etc" / name)


def _wait_for_socket(sock: Path, process: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (root / "log" / "error_log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"cupsd exited with {process.returncode}: {log}")
        if sock.exists():
            return
        time.sleep(0.05)
    raise RuntimeError("cupsd did not open its socket within 15 s")


@pytest.fixture(scope="session")
def cups_server() -> Iterator[CupsServer]:
    """A private cupsd with queues PDF (cups-pdf) and SCRIPTED; stopped at the end."""
    if shutil.which("cupsd") is None or not CUPS_PDF_PPD.exists():
        pytest.fail("cups and printer-driver-cups-pdf are required (installer/packages-test.txt)")
    if os.geteuid() != 0:
        pytest.fail("a private cupsd with backends must run as root (the CI runs as root)")
    root = Path(tempfile.mkdtemp(prefix="vw-cups-"))
    port = _free_port()
    sock = root / "cups.sock"
    _write_config(root, port, sock)
    process = subprocess.Popen(
        [
            "cupsd",
            "-f",
            "-c",
            str(root / "etc" / "cupsd.conf"),
            "-s",
            str(root / "etc" / "cups-files.conf"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    state_dir = root / "scripted"
    state_dir.mkdir()
    server = CupsServer(root, sock, port, process, state_dir / "state")
    server.set_condition("ok")
    old_env = os.environ.get("CUPS_SERVER")
    try:
        _wait_for_socket(sock, process, root)
        server.lpadmin("-p", "PDF", "-E", "-v", "cups-pdf:/", "-P", str(CUPS_PDF_PPD))
        server.lpadmin("-p", "SCRIPTED", "-E", "-v", f"scripted:{server.state_file}", "-m", "raw")
        os.environ["CUPS_SERVER"] = server.server
        yield server
    finally:
        if old_env is None:
            os.environ.pop("CUPS_SERVER", None)
        else:
            os.environ["CUPS_SERVER"] = old_env
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        shutil.rmtree(root, ignore_errors=True)
