"""Virtual smart cards for pcscd's vpcd driver: a connected socket is an inserted card.

vpcd (vsmartcard) listens on TCP 35963 (reader "Virtual PCD 00 00"); every message is
a 2-byte big-endian length and a payload. A 1-byte payload is a control code (0 power
off, 1 power on, 2 reset, 4 send the ATR); a longer one is an APDU, answered with
data + SW1 SW2. TCP_NODELAY and TCP_QUICKACK keep each APDU near 0.2 ms instead of
~47 ms (Nagle plus delayed ACK).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time

from kiosk.devices.idcard import pcsc_cards as cards
from shared.idcard import IdentityRecord, build_appended_address, build_text_block

VPCD_PORT = 35963
READER_NAME = "Virtual PCD 00 00"
ATR = bytes.fromhex("3B80800101")  # T=1, no historical bytes
SW_OK = b"\x90\x00"


class VirtualCard:
    """A card program; subclasses answer APDUs in `respond`."""

    def __init__(self) -> None:
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.apdus = 0
        self.remove_after: int | None = None  # pull the card after this many APDUs

    def respond(self, apdu: bytes) -> bytes:
        """Data + SW for one APDU."""
        return b"\x6d\x00"

    def insert(self, port: int = VPCD_PORT, timeout: float = 5.0) -> None:
        """Connect to vpcd (the card goes into the reader)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=1.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(None)
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
        self._thread.start()

    def remove(self) -> None:
        """Close the connection (the card leaves the reader)."""
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    def _recv_exact(self, sock: socket.socket, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            with contextlib.suppress(OSError, AttributeError):
                # Re-armed before each receive: Linux clears QUICKACK after use.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            try:
                chunk = sock.recv(size - len(data))
            except OSError:
                return None
            if not chunk:
                return None
            data += chunk
        return data

    def _serve(self, sock: socket.socket) -> None:
        while True:
            head = self._recv_exact(sock, 2)
            if head is None:
                return
            (length,) = struct.unpack(">H", head)
            payload = self._recv_exact(sock, length)
            if payload is None:
                return
            if len(payload) == 1:
                if payload[0] == 4:
                    self._send(sock, ATR)
                continue
            self.apdus += 1
            if self.remove_after is not None and self.apdus > self.remove_after:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
                return
            self._send(sock, self.respond(payload))

    @staticmethod
    def _send(sock: socket.socket, payload: bytes) -> None:
        with contextlib.suppress(OSError):
            sock.sendall(struct.pack(">H", len(payload)) + payload)


class SocialSecurityCard(VirtualCard):
    """A Shanghai social security card with the layout in kiosk.devices.idcard.pcsc_cards."""

    def __init__(
        self,
        *,
        card_number: str,
        id_number: str,
        name: str,
        gender: str,
        birth: str,
        name_bytes: bytes | None = None,
    ) -> None:
        super().__init__()
        self.app_selected = False
        self.current: bytes | None = None
        raw_name = name_bytes if name_bytes is not None else name.encode("gbk")
        self.files = {
            cards.EF_CARD: {cards.REC_CARD_NUMBER: card_number.encode("ascii")},
            cards.EF_HOLDER: {
                cards.REC_ID_NUMBER: id_number.encode("ascii"),
                cards.REC_NAME: raw_name.ljust(30, b"\x00"),
                cards.REC_GENDER: gender.encode("ascii"),
                cards.REC_BIRTH: bytes.fromhex(birth),
            },
        }

    def respond(self, apdu: bytes) -> bytes:
        """SELECT by name, SELECT EF, READ RECORD."""
        ins, p1 = apdu[1], apdu[2]
        if apdu[0] != 0x00:
            return b"\x6e\x00"
        if ins == 0xA4 and p1 == 0x04:
            self.app_selected = apdu[5 : 5 + apdu[4]] == cards.SSC_APP_NAME
            return SW_OK if self.app_selected else b"\x6a\x82"
        if ins == 0xA4 and p1 == 0x02 and self.app_selected:
            file_id = apdu[5:7]
            if file_id in self.files:
                self.current = file_id
                return SW_OK
            return b"\x6a\x82"
        if ins == 0xB2 and self.current is not None:
            value = self.files[self.current].get(p1)
            if value is None:
                return b"\x6a\x83"
            return cards.tlv(p1, value) + SW_OK
        return b"\x6d\x00"


class SamReaderCard(VirtualCard):
    """A SAM reader answering vendor `FF B0` blocks, with an ID card on it (or none)."""

    def __init__(self, record: IdentityRecord | None, *, block: bytes | None = None) -> None:
        super().__init__()
        self.record = record
        self.block = block if block is not None else (build_text_block(record) if record else None)
        self.photo = (b"WLT" + (record.id_number.encode() if record else b"x") * 80)[:1024]

    def respond(self, apdu: bytes) -> bytes:
        """FF B0 blocks: 00 text, 01-04 photo, 05 appended address."""
        if apdu[:2] != b"\xff\xb0":
            return b"\x6d\x00"
        if self.block is None:
            return b"\x6f\x00"
        number = apdu[2]
        if number == cards.SAM_TEXT_BLOCK:
            return self.block + SW_OK
        if number in cards.SAM_PHOTO_BLOCKS:
            start = (number - 1) * 256
            return self.photo[start : start + 256] + SW_OK
        if number == cards.SAM_APPENDED_BLOCK:
            if self.record is None or not self.record.appended_address:
                return b"\x6a\x82"
            return build_appended_address(self.record.appended_address) + SW_OK
        return b"\x6a\x82"


class BankCard(VirtualCard):
    """A card that is neither: knows no FF B0 and no social security application."""

    def respond(self, apdu: bytes) -> bytes:
        """Everything is 'file not found' or 'instruction not supported'."""
        if apdu[0] == 0xFF:
            return b"\x6e\x00"
        return b"\x6a\x82"
