"""Files and folders that survive a power cut, in the order POSIX requires.

A file's bytes are durable once the file is fsynced; its *name* only once the
folder holding it is fsynced; a new folder's name only once its parent is.
Kernels and filesystems often keep more than this, but a kiosk that promised a
resident "your page is kept" may rely on nothing else. The power-loss tests
(`tests/support/lossyfs.py`) hold every caller to exactly this contract.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from shared.private_files import open_private


def fsync_dir(path: Path) -> None:
    """Makes the entries of folder `path` (names created, renamed, removed) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(path: Path, mode: int = 0o700) -> None:
    """`mkdir -p` whose folders survive a power cut.

    Each folder created here is synced into its parent. The parent of `path` is
    synced even when `path` already existed: other code (a device's own folder, say)
    may have created it without caring for durability.
    """
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=mode, exist_ok=True)
        fsync_dir(folder.parent)
    if not missing:
        fsync_dir(path.parent)


def write_atomically(path: Path, data: bytes, mode: int = 0o600, tmp_suffix: str = "") -> None:
    """Replaces `path` with `data`: the old file or the new one, whole, even after a power cut.

    The file gets exactly `mode` (0600 by default), whatever the process's umask.

    The bytes go to a temporary file in the same folder, which is fsynced, renamed over
    `path`, and the folder is fsynced. `tmp_suffix` names the temporary file
    `<name><tmp_suffix>` (so a caller's recovery can recognise it); otherwise it gets a
    random hidden name.
    """
    tmp = path.with_name(
        path.name + tmp_suffix if tmp_suffix else f".{path.name}.{secrets.token_hex(4)}.part"
    )
    fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    fsync_dir(path.parent)
