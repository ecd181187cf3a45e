"""The backups' encryption: round trips of every size, and refusals of any tampering."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

import pytest

from backoffice_console.hub.sealed_stream import (
    CHUNK,
    MAGIC,
    SealError,
    create_key_file,
    read_key_file,
    seal,
    unseal,
)

TAG = 16
HEADER = len(MAGIC) + 7


def _sealed(key: bytes, data: bytes) -> bytes:
    out = io.BytesIO()
    seal(key, io.BytesIO(data), out)
    return out.getvalue()


def _opened(key: bytes, sealed: bytes) -> bytes:
    out = io.BytesIO()
    unseal(key, io.BytesIO(sealed), out)
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 7])
def test_round_trip(size: int) -> None:
    key = secrets.token_bytes(32)
    data = secrets.token_bytes(size)
    sealed = _sealed(key, data)
    chunks = max(1, -(-size // CHUNK))
    assert len(sealed) == HEADER + size + chunks * TAG
    assert _opened(key, sealed) == data


def test_wrong_key_truncation_reordering_and_bit_flips_are_refused() -> None:
    key = secrets.token_bytes(32)
    data = secrets.token_bytes(2 * CHUNK + 100)
    sealed = _sealed(key, data)
    one = CHUNK + TAG
    first, second = sealed[HEADER : HEADER + one], sealed[HEADER + one : HEADER + 2 * one]
    tampered = {
        "wrong key": (secrets.token_bytes(32), sealed),
        "last chunk dropped": (key, sealed[: HEADER + 2 * one]),
        "chunks swapped": (key, sealed[:HEADER] + second + first + sealed[HEADER + 2 * one :]),
        "a bit flipped": (key, sealed[:-1] + bytes([sealed[-1] ^ 1])),
        "header changed": (key, sealed[: HEADER - 1] + b"\0" + sealed[HEADER:]),
    }
    for what, (k, blob) in tampered.items():
        with pytest.raises(SealError):
            _opened(k, blob)
        assert what
    with pytest.raises(SealError, match="bad header"):
        _opened(key, b"not a backup")


def test_key_files(tmp_path: Path) -> None:
    path = tmp_path / "backup.key"
    create_key_file(path)
    assert len(read_key_file(path)) == 32
    with pytest.raises(SealError, match="not replacing"):
        create_key_file(path)
    (tmp_path / "short.key").write_text("c2hvcnQ=\n")
    with pytest.raises(SealError, match="32-byte"):
        read_key_file(tmp_path / "short.key")
    with pytest.raises(SealError, match="does not exist"):
        read_key_file(tmp_path / "missing.key")
