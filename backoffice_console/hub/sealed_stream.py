"""Files encrypted at rest for backups: AES-256-GCM in the STREAM construction.

Why this scheme: `cryptography` is already the hub's (the personal-data vault uses its
AES-GCM), so a backup needs no extra tool on a closed network, and the STREAM
construction (as age uses it) encrypts a file of any size chunk by chunk with constant
memory while still refusing reordered, dropped or truncated chunks: each 1 MiB chunk is
sealed with a nonce made of a random per-file prefix, the chunk's counter and a flag set
on the last chunk only.

Layout: `MAGIC` (8 bytes), the nonce prefix (7 bytes), then the chunks, each the
ciphertext of up to `CHUNK` bytes plus its 16-byte tag. The key is 32 random bytes kept
base64 in a key file (`vw-hub backup-key`), which must be stored away from the backups.
"""

from __future__ import annotations

import base64
import io
import os
import secrets
import shutil
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.private_files import PRIVATE, open_private

MAGIC = b"VWBAK001"
CHUNK = 1 << 20
_TAG = 16
_PREFIX = 7


class SealError(Exception):
    """A key file or sealed file that cannot be used (wrong key, damaged, truncated)."""


def create_key_file(path: Path) -> None:
    """Write a new random backup key (base64), mode 600; refuses to overwrite one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError:
        raise SealError(f"{path} exists; not replacing a backup key") from None
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(base64.b64encode(secrets.token_bytes(32)).decode("ascii") + "\n")


def read_key_file(path: Path) -> bytes:
    """The 32-byte key in `path`; SealError with the reason otherwise."""
    try:
        key = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
    except FileNotFoundError:
        raise SealError(f"backup key file {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise SealError(f"backup key file {path}: {type(exc).__name__}") from None
    if len(key) != 32:
        raise SealError(f"backup key file {path} does not hold a 32-byte key")
    return key


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def seal(key: bytes, source: BinaryIO, target: BinaryIO) -> None:
    """Encrypt all of `source` into `target`."""
    with SealingWriter(key, target) as sealed:
        shutil.copyfileobj(source, sealed, CHUNK)


class SealingWriter(io.RawIOBase):
    """A write-only file whose bytes reach `target` sealed (for `tarfile` in stream mode).

    Plaintext is held one chunk at a time in memory, never written anywhere; `close()`
    seals the last chunk (the file is incomplete, and refused by `unseal`, until then).
    """

    def __init__(self, key: bytes, target: BinaryIO) -> None:
        super().__init__()
        self._aead = AESGCM(key)
        self._prefix = secrets.token_bytes(_PREFIX)
        self._header = MAGIC + self._prefix
        self._target = target
        self._buffer = bytearray()
        self._counter = 0
        target.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:  # more follows this chunk: not the last
            self._emit(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _emit(self, chunk: bytes, last: bool) -> None:
        nonce = _nonce(self._prefix, self._counter, last)
        self._target.write(self._aead.encrypt(nonce, chunk, self._header))
        self._counter += 1

    def close(self) -> None:
        if not self.closed:
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
        super().close()


def unseal(key: bytes, source: BinaryIO, target: BinaryIO) -> None:
    """Decrypt `source` into `target`; SealError when the key is wrong or the file damaged."""
    header = source.read(len(MAGIC) + _PREFIX)
    if len(header) != len(MAGIC) + _PREFIX or not header.startswith(MAGIC):
        raise SealError("not a hub backup (bad header)")
    aead = AESGCM(key)
    prefix = header[len(MAGIC) :]
    counter = 0
    sealed = source.read(CHUNK + _TAG)
    while True:
        following = source.read(CHUNK + _TAG)
        last = not following
        try:
            target.write(aead.decrypt(_nonce(prefix, counter, last), sealed, header))
        except InvalidTag:
            raise SealError("the backup does not decrypt: wrong key, or damaged") from None
        if last:
            return
        counter += 1
        sealed = following
