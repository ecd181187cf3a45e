"""GA/T 467 business-terminal frames of resident ID card SAM modules (pure, no I/O).

Command: `AA AA AA 96 69`, LEN (2 bytes big-endian = data length + 3), CMD, PARA,
data, check. Reply: preamble, LEN, SW1 SW2 SW3, data, check. The check byte is the
XOR of every byte from LEN through data. `FrameReader` finds frames in a byte stream
and skips garbage between them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

PREAMBLE = bytes.fromhex("AAAAAA9669")
MAX_LEN = 4096  # the longest reply (text + photo + fingerprint) is about 2.3 KB

# Commands (CMD, PARA).
SAM_STATUS = (0x11, 0xFF)
SAM_ID = (0x12, 0xFF)
FIND_CARD = (0x20, 0x01)
SELECT_CARD = (0x20, 0x02)
READ_TEXT_PHOTO = (0x30, 0x01)
READ_APPENDED_ADDRESS = (0x30, 0x03)

# SW3 values.
SW_OK = 0x90
SW_CARD_FOUND = 0x9F
SW_NO_CARD = 0x80
SW_SELECT_FAILED = 0x81
SW_READ_FAILED = 0x41


class FrameError(Exception):
    """A frame that cannot be trusted (bad check byte, impossible length)."""


def checksum(data: bytes) -> int:
    """XOR of all bytes."""
    return reduce(lambda a, b: a ^ b, data, 0)


def encode_command(cmd: int, para: int, data: bytes = b"") -> bytes:
    """A command frame."""
    body = (len(data) + 3).to_bytes(2, "big") + bytes((cmd, para)) + data
    return PREAMBLE + body + bytes((checksum(body),))


def encode_reply(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    """A reply frame (for simulators)."""
    body = (len(data) + 4).to_bytes(2, "big") + bytes((sw1, sw2, sw3)) + data
    return PREAMBLE + body + bytes((checksum(body),))


@dataclass(frozen=True)
class Frame:
    """A decoded frame: `head` is (CMD, PARA) or (SW1, SW2, SW3), `data` the rest."""

    head: bytes
    data: bytes


class FrameReader:
    """Accumulates bytes and yields complete, verified frames.

    Bytes before a preamble are garbage and are dropped (`skipped` counts them). A
    frame with a wrong check byte raises FrameError and is dropped, so the next
    frame can still be found.
    """

    def __init__(self, head_size: int) -> None:
        self._head = head_size
        self._buf = bytearray()
        self.skipped = 0

    def feed(self, data: bytes) -> None:
        """Add received bytes."""
        self._buf += data

    def clear(self) -> None:
        """Drop everything buffered (after a timeout, a partial frame is stale)."""
        self.skipped += len(self._buf)
        self._buf.clear()

    def next_frame(self) -> Frame | None:
        """The next complete frame, None if more bytes are needed; FrameError if corrupt."""
        while True:
            start = self._buf.find(PREAMBLE)
            if start < 0:
                # Keep a tail that could be the start of a preamble.
                keep = len(PREAMBLE) - 1
                drop = max(0, len(self._buf) - keep)
                self.skipped += drop
                del self._buf[:drop]
                return None
            if start:
                self.skipped += start
                del self._buf[:start]
            if len(self._buf) < len(PREAMBLE) + 2:
                return None
            length = int.from_bytes(self._buf[5:7], "big")
            if length < self._head + 1 or length > MAX_LEN:
                # Not a real frame start: skip this preamble and look for the next one.
                self.skipped += 1
                del self._buf[:1]
                continue
            end = 7 + length
            if len(self._buf) < end:
                return None
            body = bytes(self._buf[5 : end - 1])
            check = self._buf[end - 1]
            del self._buf[:end]
            if checksum(body) != check:
                raise FrameError("check byte mismatch")
            return Frame(head=body[2 : 2 + self._head], data=body[2 + self._head :])


def split_text_photo(data: bytes) -> tuple[bytes, bytes]:
    """Split a `30 01` reply body into (text block, photo); FrameError if inconsistent."""
    if len(data) < 4:
        raise FrameError("text/photo reply too short")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    if len(data) < 4 + text_len + photo_len:
        raise FrameError("text/photo reply shorter than its lengths")
    text = data[4 : 4 + text_len]
    return text, data[4 + text_len : 4 + text_len + photo_len]


def format_sam_id(data: bytes) -> str:
    """The SAM id in the usual printed form `05.01-20101214-0012345678-1234567890`."""
    if len(data) < 16:
        return data.hex()
    a, b = data[0], data[1]
    c = int.from_bytes(data[4:8], "little")
    d = int.from_bytes(data[8:12], "little")
    e = int.from_bytes(data[12:16], "little")
    return f"{a:02d}.{b:02d}-{c:08d}-{d:010d}-{e:010d}"
