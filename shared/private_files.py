"""Files holding personal data or secrets, created private whatever the umask.

The hub's database, its logs, keys and backups must not be readable by other users
of the machine, and a process started under the common umask 022 would otherwise
create them 0644. Each is opened here with an explicit mode, and a file found with
looser bits (made by an older version) is tightened.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

PRIVATE = 0o600
"""Owner only: keys, the database, backups."""
GROUP_READ = 0o640
"""Owner writes, the service's group reads: logs."""
PRIVATE_UMASK = 0o027
"""The umask a hub process runs under: nothing for others, nothing written by the group."""


def ensure_private(path: Path, mode: int = PRIVATE) -> None:
    """Create `path` empty with `mode` if missing; tighten an existing file to `mode`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, mode)
    try:
        os.fchmod(fd, mode)  # O_CREAT's mode only applies to a new file, and only under umask
    finally:
        os.close(fd)


def open_private(path: Path, flags: int, mode: int = PRIVATE) -> int:
    """`os.open` with `mode` enforced (umask-proof, also on an existing file); returns the fd."""
    fd = os.open(path, flags | os.O_CLOEXEC, mode)
    try:
        os.fchmod(fd, mode)
    except OSError:
        os.close(fd)
        raise
    return fd


def tighten_umask() -> int:
    """Add `PRIVATE_UMASK`'s bits to the process umask; returns the old umask."""
    old = os.umask(PRIVATE_UMASK)
    os.umask(old | PRIVATE_UMASK)
    return old


@contextlib.contextmanager
def umask(value: int) -> Iterator[None]:
    """Run a block under `value` as umask (restored after)."""
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)
