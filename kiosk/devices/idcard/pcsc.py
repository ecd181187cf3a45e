"""The `pcsc` backend: pyscard on the PC/SC stack (pcscd), on its own device thread.

Watches the configured reader (a substring of its name; the first reader when unset)
for a card, then reads either a SAM reader's vendor FF B0 blocks (an ID card) or a
Shanghai social security card's basic records (see `pcsc_cards` for both layouts).
A card is read once per insertion; its removal fires `on_card_removed`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from smartcard import scard

from kiosk.devices.idcard import pcsc_cards as cards
from kiosk.devices.idcard.base import (
    CardReader,
    CardRemoved,
    DeviceThread,
    IdCardReaderConfig,
    InvalidCardData,
    NoReader,
    ReaderStatus,
    ReadFailed,
    WrongCard,
    deadline_sleep,
)
from shared.idcard import CardDataError, IdentityRecord, parse_text_block

log = logging.getLogger(__name__)

_SERVICE_GONE = {
    scard.SCARD_E_NO_SERVICE,
    scard.SCARD_E_SERVICE_STOPPED,
    scard.SCARD_E_INVALID_HANDLE,
}
_READER_GONE = {
    scard.SCARD_E_UNKNOWN_READER,
    scard.SCARD_E_READER_UNAVAILABLE,
    scard.SCARD_E_NO_READERS_AVAILABLE,
}


_REMOVAL_SETTLE = 1.5


class _CardIo(Exception):
    """A PC/SC call failed with `hresult` while talking to the card."""

    def __init__(self, hresult: int) -> None:
        super().__init__(scard.SCardGetErrorMessage(hresult))
        self.hresult = hresult


class _NoIdCard(Exception):
    """The SAM reader answers but sees no ID card."""


class PcscReader(CardReader):
    """Reads social security cards and SAM readers' ID cards through PC/SC."""

    backend = "pcsc"

    def __init__(self, config: IdCardReaderConfig) -> None:
        super().__init__()
        self._config = config
        self._thread = DeviceThread("idcard-pcsc")
        self._context: Any = None
        self._reader_name: str | None = None
        self._held: int | None = None  # insertion id of the card read and still in the reader

    @property
    def reader_name(self) -> str | None:
        """The PC/SC name of the reader in use, once open."""
        return self._reader_name

    async def open(self) -> None:
        """Connect to pcscd and find the reader; NoReader when either is missing."""
        await self._thread.run(self._open_blocking)

    def _open_blocking(self) -> None:
        if self._context is None:
            hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hresult != scard.SCARD_S_SUCCESS:
                raise NoReader(f"PC/SC service unavailable: {scard.SCardGetErrorMessage(hresult)}")
            self._context = context
        self._reader_name = self._find_reader()

    def _find_reader(self) -> str:
        hresult, readers = scard.SCardListReaders(self._context, [])
        if hresult in _SERVICE_GONE:
            self._drop_context()
            raise NoReader("PC/SC service stopped")
        if hresult != scard.SCARD_S_SUCCESS:
            readers = []
        wanted = self._config.reader
        matching = [r for r in readers if wanted is None or wanted in r]
        if not matching:
            raise NoReader(f"no PC/SC reader matching {wanted!r} (have {readers})")
        return str(matching[0])

    def _drop_context(self) -> None:
        if self._context is not None:
            scard.SCardReleaseContext(self._context)
            self._context = None

    async def close(self) -> None:
        """Release the PC/SC context and stop the device thread."""
        await self._thread.run(self._drop_context)
        self._thread.shutdown()
        self._reader_name = None

    async def status(self) -> ReaderStatus:
        """Whether the reader is there and holds a card."""
        try:
            present = await self._thread.run(self._card_present)
        except NoReader as exc:
            return ReaderStatus(self.backend, connected=False, detail=str(exc))
        return ReaderStatus(
            self.backend, connected=True, card_present=present, reader_name=self._reader_name
        )

    def _card_present(self) -> bool:
        """Runs on the device thread: is a card in the reader? NoReader if the reader left."""
        return self._reader_state(0, scard.SCARD_STATE_UNAWARE) & scard.SCARD_STATE_PRESENT != 0

    def _reader_state(self, timeout_ms: int, known: int) -> int:
        """The reader's event state, waiting up to `timeout_ms` for a change from `known`."""
        if self._context is None:
            raise NoReader("reader is not open")
        assert self._reader_name is not None
        hresult, states = scard.SCardGetStatusChange(
            self._context, timeout_ms, [(self._reader_name, known)]
        )
        if hresult in _SERVICE_GONE:
            self._drop_context()
            raise NoReader("PC/SC service stopped")
        if hresult in _READER_GONE:
            raise NoReader(f"reader {self._reader_name!r} was removed")
        if hresult == scard.SCARD_E_TIMEOUT:
            return known
        if hresult != scard.SCARD_S_SUCCESS:
            raise NoReader(scard.SCardGetErrorMessage(hresult))
        state = int(states[0][1])
        if state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE):
            raise NoReader(f"reader {self._reader_name!r} was removed")
        return state

    def _insertion(self) -> int | None:
        """Runs on the device thread: an id of the card in the reader, None when empty.

        pcsc-lite counts card events in the upper 16 bits of the event state, so a card
        swapped between two polls still shows up as a new insertion.
        """
        state = self._reader_state(0, scard.SCARD_STATE_UNAWARE)
        if not state & scard.SCARD_STATE_PRESENT:
            return None
        return state >> 16

    def _gone_within(self, seconds: float) -> bool:
        """Runs on the device thread: wait up to `seconds` for the card to leave.

        After a failed transfer pcscd may need one presence poll (about 0.4 s with
        vpcd) before it reports that the card was pulled.
        """
        deadline = time.monotonic() + seconds
        state = self._reader_state(0, scard.SCARD_STATE_UNAWARE)
        while state & scard.SCARD_STATE_PRESENT:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            known = state & ~scard.SCARD_STATE_CHANGED
            state = self._reader_state(int(min(remaining, 0.25) * 1000), known)
        return True

    async def wait_for_card(self, timeout: float) -> IdentityRecord:
        """Wait for a newly inserted card (or ID card on a SAM reader) and read it."""
        if self._context is None:
            raise NoReader("reader is not open")
        deadline = time.monotonic() + timeout
        failures = 0
        while True:
            insertion = await self._thread.run(self._insertion)
            if insertion != self._held and self._held is not None:
                self._held = None
                self._card_removed()
            if insertion is None or insertion == self._held:
                await deadline_sleep(deadline, self._config.poll_interval)
                continue
            try:
                record = await self._thread.run(self._read_blocking)
            except _NoIdCard:
                await deadline_sleep(deadline, self._config.poll_interval)
                continue
            except _CardIo as exc:
                if await self._thread.run(self._gone_within, _REMOVAL_SETTLE):
                    raise CardRemoved("the card left the reader during the read") from exc
                failures += 1
                log.warning("PC/SC read failed (%s), attempt %d", exc, failures)
                if failures > self._config.retries:
                    raise ReadFailed(f"the card did not answer: {exc}") from exc
                await deadline_sleep(deadline, self._config.poll_interval)
                continue
            except CardDataError as exc:
                self._held = insertion  # the same bad card is not re-read until it leaves
                raise InvalidCardData(exc) from exc
            except WrongCard:
                self._held = insertion
                raise
            self._held = insertion
            return record

    def _read_blocking(self) -> IdentityRecord:
        """Runs on the device thread: connect, read by the configured mode, disconnect."""
        assert self._reader_name is not None
        hresult, hcard, protocol = scard.SCardConnect(
            self._context,
            self._reader_name,
            scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        if hresult != scard.SCARD_S_SUCCESS:
            raise _CardIo(hresult)
        try:
            mode = self._config.pcsc_mode
            if mode in ("auto", "sam_ffb0"):
                data, sw = self._transmit(hcard, protocol, cards.sam_block(cards.SAM_TEXT_BLOCK))
                if sw == cards.SW_OK:
                    return self._read_sam(hcard, protocol, data)
                if sw == cards.SW_NO_ID_CARD:
                    raise _NoIdCard()
                if mode == "sam_ffb0":
                    raise WrongCard(f"not a SAM reader (SW {sw:04X})")
            return self._read_social_security(hcard, protocol)
        finally:
            scard.SCardDisconnect(hcard, scard.SCARD_LEAVE_CARD)

    def _transmit(self, hcard: Any, protocol: int, apdu: bytes) -> tuple[bytes, int]:
        hresult, response = scard.SCardTransmit(hcard, protocol, list(apdu))
        if hresult != scard.SCARD_S_SUCCESS:
            raise _CardIo(hresult)
        if len(response) < 2:
            raise _CardIo(scard.SCARD_E_COMM_DATA_LOST)
        return bytes(response[:-2]), (response[-2] << 8) | response[-1]

    def _read_sam(self, hcard: Any, protocol: int, text: bytes) -> IdentityRecord:
        photo = b""
        for block in cards.SAM_PHOTO_BLOCKS:
            data, sw = self._transmit(hcard, protocol, cards.sam_block(block))
            if sw != cards.SW_OK:
                raise _CardIo(scard.SCARD_E_COMM_DATA_LOST)
            photo += data
        extra, sw = self._transmit(hcard, protocol, cards.sam_block(cards.SAM_APPENDED_BLOCK))
        appended = extra if sw == cards.SW_OK and extra else None
        return parse_text_block(text, appended, photo or None)

    def _read_social_security(self, hcard: Any, protocol: int) -> IdentityRecord:
        _, sw = self._transmit(hcard, protocol, cards.select_by_name(cards.SSC_APP_NAME))
        if sw != cards.SW_OK:
            raise WrongCard(f"not a Shanghai social security card (SW {sw:04X})")

        def record(file_id: bytes, numbers: tuple[int, ...]) -> list[bytes]:
            _, sw = self._transmit(hcard, protocol, cards.select_file(file_id))
            if sw != cards.SW_OK:
                raise WrongCard(f"social security file {file_id.hex()} missing (SW {sw:04X})")
            values = []
            for number in numbers:
                data, sw = self._transmit(hcard, protocol, cards.read_record(number))
                if sw != cards.SW_OK:
                    raise WrongCard(f"record {number:02x} missing (SW {sw:04X})")
                values.append(cards.tlv_value(number, data))
            return values

        (card_number,) = record(cards.EF_CARD, (cards.REC_CARD_NUMBER,))
        id_number, name, gender, birth = record(
            cards.EF_HOLDER,
            (cards.REC_ID_NUMBER, cards.REC_NAME, cards.REC_GENDER, cards.REC_BIRTH),
        )
        return cards.social_security_record(card_number, id_number, name, gender, birth)
