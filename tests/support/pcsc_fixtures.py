"""A session-wide pcscd with the vpcd driver, shared by every PC/SC test.

Only one pcscd runs per host: an already running one is reused (and left running);
otherwise one is started in the foreground and stopped at the end of the session.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.vpcd_cards import VPCD_PORT

PCSCD_SOCKET = Path("/run/pcscd/pcscd.comm")


def _vpcd_listening() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", VPCD_PORT), timeout=0.2):
            return True
    except OSError:
        return False


def _pcscd_running() -> bool:
    result = subprocess.run(["pgrep", "-x", "pcscd"], capture_output=True, check=False)
    return result.returncode == 0


@pytest.fixture(scope="session")
def pcscd() -> Iterator[None]:
    """A pcscd whose vpcd reader listens on 127.0.0.1:35963."""
    if _pcscd_running():
        deadline = time.monotonic() + 5
        while not _vpcd_listening():
            if time.monotonic() > deadline:
                pytest.fail("a pcscd is running but vpcd does not listen on port 35963")
            time.sleep(0.05)
        yield
        return
    binary = shutil.which("pcscd") or "/usr/sbin/pcscd"
    if not os.path.exists(binary):
        pytest.fail("pcscd is not installed (installer/packages-test.txt lists it)")
    # pcscd logs to a file, never to a pipe nobody drains (a full pipe would block it).
    log_path = Path(tempfile.mkdtemp(prefix="vw-pcscd-")) / "pcscd.log"
    log_file = log_path.open("wb")
    proc = subprocess.Popen(
        [binary, "--foreground", "--error"], stdout=log_file, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 10
        while not (_vpcd_listening() and PCSCD_SOCKET.exists()):
            if proc.poll() is not None:
                err = log_path.read_text(errors="replace")
                pytest.fail(f"pcscd exited at start: {err}")
            if time.monotonic() > deadline:
                pytest.fail("pcscd did not open the vpcd port within 10 s")
            time.sleep(0.05)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log_file.close()


def wait_reader_empty(reader: str, timeout: float = 5.0) -> None:
    """Block until pcscd reports no card in `reader` (it polls vpcd about every 0.4 s)."""
    from smartcard import scard  # noqa: PLC0415 - only the PC/SC tests need pyscard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    assert hresult == scard.SCARD_S_SUCCESS
    try:
        deadline = time.monotonic() + timeout
        while True:
            hresult, states = scard.SCardGetStatusChange(
                context, 0, [(reader, scard.SCARD_STATE_UNAWARE)]
            )
            if hresult == scard.SCARD_S_SUCCESS and not states[0][1] & scard.SCARD_STATE_PRESENT:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"a card is still in {reader!r}")
            time.sleep(0.05)
    finally:
        scard.SCardReleaseContext(context)
