"""The `simulated` backend: fictional residents' cards for the demo and the autopilot.

A real implementation of the contract, not a mock: `present(index)` lays a resident's
card on the reader, `wait_for_card` returns it once (a card kept on the reader is not
returned again), `remove()` takes it away and fires `on_card_removed`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import replace
from pathlib import Path

from kiosk.devices.idcard.base import (
    CardReader,
    IdCardReaderConfig,
    NoReader,
    ReaderStatus,
    ReadTimeout,
)
from shared.assets import assets_dir
from shared.idcard import IdentityRecord

PHOTO_SIZE = 1024


def residents_path() -> Path:
    """The demo's residents file, `assets/demo/residents.json`."""
    return assets_dir() / "demo" / "residents.json"


def load_residents(path: Path | None = None) -> list[IdentityRecord]:
    """The fictional residents in `path` (default: the demo's); ValueError if malformed."""
    source = path or residents_path()
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
        return [IdentityRecord.from_dict(item) for item in data["residents"]]
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"cannot load residents from {source}: {exc}") from exc


def demo_photo(record: IdentityRecord) -> bytes:
    """Deterministic opaque bytes standing in for a card's 1024-byte wlt photo."""
    seed = hashlib.sha256(record.id_number.encode()).digest()
    return (b"WLT-DEMO" + seed * 32)[:PHOTO_SIZE]


class SimulatedReader(CardReader):
    """A reader whose cards are the demo's fictional residents."""

    backend = "simulated"

    def __init__(
        self, config: IdCardReaderConfig, residents: list[IdentityRecord] | None = None
    ) -> None:
        super().__init__()
        self._config = config
        self._given = residents
        self._residents: list[IdentityRecord] = []
        self._card: IdentityRecord | None = None
        self._read = False
        self._changed = asyncio.Event()
        self._open = False

    @property
    def residents(self) -> list[IdentityRecord]:
        """The cards this reader can present, in file order."""
        return list(self._residents)

    async def open(self) -> None:
        """Load the residents; NoReader when the file cannot be read."""
        if self._given is not None:
            self._residents = list(self._given)
        else:
            path = Path(self._config.residents_file) if self._config.residents_file else None
            try:
                self._residents = load_residents(path)
            except ValueError as exc:
                raise NoReader(str(exc)) from exc
        self._open = True

    async def close(self) -> None:
        """Forget the card on the reader."""
        self._open = False
        self._card = None
        self._changed.set()

    def present(self, index: int) -> IdentityRecord:
        """Lay resident `index`'s card on the reader (IndexError for no such resident)."""
        record = self._residents[index]
        if record.photo is None:
            record = _with_photo(record)
        if self._card is not None and self._card.id_number == record.id_number:
            return self._card  # the same card again: still the card that lies there
        self._card, self._read = record, False
        self._changed.set()
        return record

    def remove(self) -> None:
        """Take the card away; `on_card_removed` fires if it had been read."""
        card, was_read = self._card, self._read
        self._card, self._read = None, False
        self._changed.set()
        if card is not None and was_read:
            self._card_removed()

    async def wait_for_card(self, timeout: float) -> IdentityRecord:
        """The next card presented and not yet read; ReadTimeout after `timeout` seconds."""
        if not self._open:
            raise NoReader("reader is not open")
        deadline = time.monotonic() + timeout
        while self._card is None or self._read:
            self._changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ReadTimeout("no card was presented in time")
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                raise ReadTimeout("no card was presented in time") from None
            if not self._open:
                raise NoReader("reader was closed")
        self._read = True
        return self._card

    async def status(self) -> ReaderStatus:
        """Always healthy while open."""
        return ReaderStatus(
            self.backend,
            connected=self._open,
            card_present=self._card is not None,
            reader_name="simulated",
            sam_state="ok" if self._open else None,
            detail=f"{len(self._residents)} residents",
        )


def _with_photo(record: IdentityRecord) -> IdentityRecord:
    return replace(record, photo=demo_photo(record))
