"""A GA/T 467 SAM module simulated on a pty pair, for the `sam-serial` backend's tests.

The backend opens the pty's slave path with pyserial, exactly as it opens a USB-serial
reader; the simulator answers frames on the master side from a thread. Tests put a
card on the reader (`present`), take it away (`remove`) and queue faults for the next
replies: a bad check byte, a truncated frame, garbage before a frame, silence, or the
card leaving between select and read.
"""

from __future__ import annotations

import contextlib
import os
import pty
import select
import threading
import tty
from collections import deque

from kiosk.devices.idcard import gat467
from shared.idcard import IdentityRecord, build_appended_address, build_text_block

SAM_ID_BYTES = (
    bytes([5, 1, 0, 0])
    + (20101214).to_bytes(4, "little")
    + (12345678).to_bytes(4, "little")
    + (987654321).to_bytes(4, "little")
)

FAULTS = ("bad_checksum", "truncate", "garbage_before", "silence", "remove_before_read")


def photo_for(record: IdentityRecord) -> bytes:
    """Deterministic opaque 1024 bytes standing in for the card's wlt photo."""
    seed = record.id_number.encode()
    return (b"WLT" + seed * 80)[:1024]


class SamSimulator:
    """A SAM reader on a pty; `path` is the serial port to give the backend."""

    def __init__(self) -> None:
        self._master, self._slave = pty.openpty()
        tty.setraw(self._slave)
        tty.setraw(self._master)
        self.path = os.ttyname(self._slave)
        self._lock = threading.Lock()
        self._card: tuple[bytes, bytes, bytes | None] | None = None
        self._faults: deque[str] = deque()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sam-sim", daemon=True)
        self.commands: list[tuple[int, int]] = []
        self.reads = 0  # successful 30 01 replies
        self._thread.start()

    def present(self, record: IdentityRecord | None = None, *, block: bytes | None = None) -> None:
        """Put a card on the reader: a record, or a raw (possibly malformed) text block."""
        if block is None:
            assert record is not None
            block = build_text_block(record)
            photo = photo_for(record)
            appended = (
                build_appended_address(record.appended_address) if record.appended_address else None
            )
        else:
            photo, appended = b"\x00" * 1024, None
        with self._lock:
            self._card = (block, photo, appended)

    def remove(self) -> None:
        """Take the card away."""
        with self._lock:
            self._card = None

    def fault(self, *names: str) -> None:
        """Apply these faults to the next replies, one per reply, in order."""
        for name in names:
            if name not in FAULTS:
                raise ValueError(name)
        with self._lock:
            self._faults.extend(names)

    def close(self) -> None:
        """Stop answering and close both ends."""
        self._stop.set()
        self._thread.join(timeout=2)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _run(self) -> None:
        frames = gat467.FrameReader(head_size=2)
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self._master, 4096)
            except OSError:
                return
            frames.feed(data)
            while True:
                try:
                    frame = frames.next_frame()
                except gat467.FrameError:
                    continue
                if frame is None:
                    break
                self._answer(frame)

    def _answer(self, frame: gat467.Frame) -> None:
        command = (frame.head[0], frame.head[1])
        with self._lock:
            self.commands.append(command)
            fault = self._faults.popleft() if self._faults else None
            if fault == "remove_before_read" and command != gat467.READ_TEXT_PHOTO:
                self._faults.appendleft(fault)  # waits for the read it is meant for
                fault = None
            if fault == "remove_before_read":
                self._card = None
            reply = self._reply(command)
        if fault == "silence":
            return
        if fault == "bad_checksum":
            reply = reply[:-1] + bytes([reply[-1] ^ 0x5A])
        elif fault == "truncate":
            reply = reply[: len(reply) // 2]
        elif fault == "garbage_before":
            reply = b"\x00\xff\xaa\x96garbage\xaa\xaa" + reply
        os.write(self._master, reply)

    def _reply(self, command: tuple[int, int]) -> bytes:
        card = self._card
        if command == gat467.SAM_STATUS:
            return gat467.encode_reply(gat467.SW_OK)
        if command == gat467.SAM_ID:
            return gat467.encode_reply(gat467.SW_OK, SAM_ID_BYTES)
        if card is None:
            return gat467.encode_reply(gat467.SW_NO_CARD)
        block, photo, appended = card
        if command == gat467.FIND_CARD:
            return gat467.encode_reply(gat467.SW_CARD_FOUND)
        if command == gat467.SELECT_CARD:
            return gat467.encode_reply(gat467.SW_OK)
        if command == gat467.READ_TEXT_PHOTO:
            self.reads += 1
            body = len(block).to_bytes(2, "big") + len(photo).to_bytes(2, "big") + block + photo
            return gat467.encode_reply(gat467.SW_OK, body)
        if command == gat467.READ_APPENDED_ADDRESS:
            if appended is None:
                return gat467.encode_reply(gat467.SW_READ_FAILED)
            return gat467.encode_reply(gat467.SW_OK, appended)
        return gat467.encode_reply(gat467.SW_READ_FAILED)
