"""The `sam-serial` backend: a GA/T 467 SAM module behind a (USB-)serial port, via pyserial.

Each command is one frame out and one reply in, on the backend's own device thread.
A reply with a bad check byte, a truncated reply or silence is retried (`retries`);
garbage between frames is skipped. A card kept on the reader is not returned twice
(`KeptCardFilter`); when find reports no card again, `on_card_removed` fires.
"""

from __future__ import annotations

import asyncio
import logging
import time

import serial

from kiosk.devices.idcard import gat467
from kiosk.devices.idcard.base import (
    CardReader,
    CardRemoved,
    DeviceThread,
    IdCardReaderConfig,
    InvalidCardData,
    KeptCardFilter,
    NoReader,
    ReaderStatus,
    ReadFailed,
    deadline_sleep,
)
from shared.idcard import CardDataError, IdentityRecord, parse_text_block

log = logging.getLogger(__name__)

_READ_CHUNK_TIMEOUT = 0.02


class _ReplyTimeout(Exception):
    """No complete reply within the I/O timeout."""


class SamSerialReader(CardReader):
    """Reads resident ID cards (all four types) through a GA/T 467 SAM on a serial port."""

    backend = "sam-serial"

    def __init__(self, config: IdCardReaderConfig) -> None:
        super().__init__()
        if not config.port:
            raise NoReader("sam-serial needs a serial port (config `port`)")
        self._config = config
        self._thread = DeviceThread("idcard-serial")
        self._serial: serial.Serial | None = None
        self._frames = gat467.FrameReader(head_size=3)
        self._lock = asyncio.Lock()
        self._kept = KeptCardFilter(config.dedup_seconds)
        self.retried = 0  # how many exchanges had to be repeated (for tests and health)

    @property
    def skipped_bytes(self) -> int:
        """Garbage bytes dropped while looking for frames."""
        return self._frames.skipped

    async def open(self) -> None:
        """Open the port and check that a SAM answers; NoReader otherwise."""
        if self._serial is not None:
            return
        try:
            self._serial = await self._thread.run(self._open_port)
        except (serial.SerialException, OSError) as exc:
            raise NoReader(f"cannot open {self._config.port}: {exc}") from exc
        try:
            reply = await self._command(gat467.SAM_STATUS)
        except ReadFailed as exc:
            await self.close()
            raise NoReader(f"no SAM answers on {self._config.port}") from exc
        if reply.head[2] != gat467.SW_OK:
            await self.close()
            raise NoReader(f"SAM reports status {reply.head.hex()}")

    def _open_port(self) -> serial.Serial:
        return serial.Serial(
            self._config.port,
            self._config.baudrate,
            timeout=_READ_CHUNK_TIMEOUT,
            write_timeout=self._config.io_timeout,
        )

    async def close(self) -> None:
        """Close the port and stop the device thread."""
        port, self._serial = self._serial, None
        if port is not None:
            await self._thread.run(port.close)
        self._thread.shutdown()

    async def status(self) -> ReaderStatus:
        """SAM status and id (without touching the card)."""
        if self._serial is None:
            return ReaderStatus(self.backend, connected=False, reader_name=self._config.port)
        try:
            state = await self._command(gat467.SAM_STATUS)
            sam = await self._command(gat467.SAM_ID)
        except (ReadFailed, NoReader) as exc:
            return ReaderStatus(
                self.backend, connected=False, reader_name=self._config.port, detail=str(exc)
            )
        return ReaderStatus(
            self.backend,
            connected=True,
            card_present=self._kept.holding,
            reader_name=self._config.port,
            sam_id=gat467.format_sam_id(sam.data) if sam.head[2] == gat467.SW_OK else None,
            sam_state="ok" if state.head[2] == gat467.SW_OK else f"sw {state.head.hex()}",
        )

    async def wait_for_card(self, timeout: float) -> IdentityRecord:
        """Poll find/select until a new card is there, then read text, photo and address."""
        if self._serial is None:
            raise NoReader("reader is not open")
        deadline = time.monotonic() + timeout
        read_failures = 0
        while True:
            found = await self._command(gat467.FIND_CARD)
            if found.head[2] != gat467.SW_CARD_FOUND:
                if self._kept.clear():
                    self._card_removed()
                await deadline_sleep(deadline, self._config.poll_interval)
                continue
            selected = await self._command(gat467.SELECT_CARD)
            if selected.head[2] != gat467.SW_OK:
                # The card is moving in or out of the field; poll again.
                await deadline_sleep(deadline, self._config.poll_interval)
                continue
            reply = await self._command(gat467.READ_TEXT_PHOTO)
            sw3 = reply.head[2]
            if sw3 == gat467.SW_NO_CARD:
                raise CardRemoved("the card left the reader during the read")
            if sw3 != gat467.SW_OK:
                read_failures += 1
                if read_failures > self._config.retries:
                    raise ReadFailed(f"the SAM could not read the card (sw {reply.head.hex()})")
                await deadline_sleep(deadline, self._config.poll_interval)
                continue
            record = await self._finish_read(reply.data)
            if self._kept.is_new(record.id_number):
                return record
            await deadline_sleep(deadline, self._config.poll_interval)

    async def _finish_read(self, data: bytes) -> IdentityRecord:
        try:
            text, photo = gat467.split_text_photo(data)
        except gat467.FrameError as exc:
            raise ReadFailed(str(exc)) from exc
        extra = await self._command(gat467.READ_APPENDED_ADDRESS)
        if extra.head[2] == gat467.SW_NO_CARD:
            raise CardRemoved("the card left the reader during the read")
        appended = extra.data if extra.head[2] == gat467.SW_OK and extra.data else None
        try:
            return parse_text_block(text, appended, photo or None)
        except CardDataError as exc:
            raise InvalidCardData(exc) from exc

    async def _command(self, command: tuple[int, int], data: bytes = b"") -> gat467.Frame:
        """One exchange, retried on corrupt or missing replies; ReadFailed when all fail."""
        frame = gat467.encode_command(*command, data)
        async with self._lock:
            last: Exception | None = None
            for attempt in range(self._config.retries + 1):
                if attempt:
                    self.retried += 1
                try:
                    return await self._thread.run(self._exchange, frame)
                except (gat467.FrameError, _ReplyTimeout) as exc:
                    log.warning("SAM command %02x %02x: %s", *command, exc)
                    last = exc
                except (serial.SerialException, OSError) as exc:
                    raise NoReader(f"serial port failed: {exc}") from exc
        raise ReadFailed(f"no valid reply from the SAM: {last}")

    def _exchange(self, frame: bytes) -> gat467.Frame:
        """Runs on the device thread: write a command and read its reply."""
        port = self._serial
        if port is None:
            raise NoReader("reader is closed")
        # A late reply to an earlier, timed-out command must not answer this one.
        port.reset_input_buffer()
        self._frames.clear()
        port.write(frame)
        port.flush()
        deadline = time.monotonic() + self._config.io_timeout
        while True:
            reply = self._frames.next_frame()
            if reply is not None:
                return reply
            if time.monotonic() > deadline:
                raise _ReplyTimeout("reply incomplete or missing")
            chunk = port.read(max(1, port.in_waiting))
            if chunk:
                self._frames.feed(chunk)
