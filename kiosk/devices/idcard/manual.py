"""The `manual` backend: neighbourhood staff type the ID number and name on the touch screen.

`submit(number, name)` validates first (GB 11643 for 18-character numbers, the
pattern for the 2017 foreigner card) and raises InvalidIdNumber / CardDataError with
a reason code the UI translates; only a valid entry reaches `wait_for_card`.
"""

from __future__ import annotations

import asyncio
import unicodedata

from kiosk.devices.idcard.base import (
    CardReader,
    IdCardReaderConfig,
    NoReader,
    ReaderStatus,
    ReadTimeout,
)
from shared.idcard import (
    CardDataError,
    CardType,
    Gender,
    IdentityRecord,
    Source,
    check_id_number,
    normalize_id_number,
)
from shared.idcard.numbers import birth_date_of, is_foreigner_2017

MAX_NAME = 50


def check_name(name: str) -> str:
    """The typed name, trimmed; CardDataError("name", "name") when it cannot be a name."""
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME:
        raise CardDataError("name", "name", "blank or too long")
    for char in cleaned:
        category = unicodedata.category(char)
        # Letters (Han included), marks, spaces and the name punctuation of foreign names.
        if not (category[0] in "LM" or char in " ·.-'," or category == "Co"):
            raise CardDataError("name", "name", f"U+{ord(char):04X}")
    return cleaned


def record_from_number(number: str, name: str, source: Source) -> IdentityRecord:
    """A record holding what a number alone says: card type, birth date and gender."""
    born = None if is_foreigner_2017(number) else birth_date_of(number)
    gender = None
    if not is_foreigner_2017(number):
        gender = Gender.from_code("1" if int(number[16]) % 2 else "2")
    return IdentityRecord(
        card_type=CardType.for_number(number),
        name=name,
        id_number=number,
        source=source,
        gender=gender,
        birth_date=born,
    )


class ManualReader(CardReader):
    """A 'reader' whose cards are entries typed by staff."""

    backend = "manual"

    def __init__(self, config: IdCardReaderConfig) -> None:
        super().__init__()
        self._config = config
        self._entries: asyncio.Queue[IdentityRecord] = asyncio.Queue(maxsize=1)
        self._open = False

    async def open(self) -> None:
        """Nothing to connect to."""
        self._open = True

    async def close(self) -> None:
        """Drop an entry nobody has taken."""
        self._open = False
        while not self._entries.empty():
            self._entries.get_nowait()

    def submit(self, number: str, name: str) -> IdentityRecord:
        """Validate a typed entry and hand it to `wait_for_card`; errors say what is wrong."""
        if not self._open:
            raise NoReader("manual entry is not open")
        cleaned = normalize_id_number(number)
        check_id_number(cleaned)
        record = record_from_number(cleaned, check_name(name), Source.MANUAL)
        if self._entries.full():
            self._entries.get_nowait()  # the newer entry replaces one nobody took
        self._entries.put_nowait(record)
        return record

    async def wait_for_card(self, timeout: float) -> IdentityRecord:
        """The next valid entry; ReadTimeout after `timeout` seconds."""
        if not self._open:
            raise NoReader("manual entry is not open")
        try:
            return await asyncio.wait_for(self._entries.get(), timeout)
        except TimeoutError:
            raise ReadTimeout("no entry was made in time") from None

    async def status(self) -> ReaderStatus:
        """Manual entry is always available while open."""
        return ReaderStatus(self.backend, connected=self._open, reader_name="manual")
