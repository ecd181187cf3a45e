"""The ID card reader contract: typed results and errors, config, and shared plumbing.

Every backend (`sam-serial`, `pcsc`, `manual`, `simulated`) implements `CardReader`.
A reader returns each card once: a card kept on the reader is not read again until
it has left (`on_card_removed` callbacks fire then).
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from shared.idcard import CardDataError, IdentityRecord

log = logging.getLogger(__name__)

T = TypeVar("T")


class ReaderError(Exception):
    """Base of every reader error; `reason` is an i18n key suffix (`idcard.error.<reason>`)."""

    reason = "read_failed"

    @property
    def code(self) -> str:
        """The i18n key of the message for people."""
        return f"idcard.error.{self.reason}"


class NoReader(ReaderError):
    """The reader (or the PC/SC service, or the serial port) is not there."""

    reason = "no_reader"


class NoCard(ReaderError):
    """No card is on the reader."""

    reason = "no_card"


class ReadTimeout(NoCard):
    """No card was presented within the time allowed."""

    reason = "timeout"


class CardRemoved(ReaderError):
    """The card left the reader in the middle of a read."""

    reason = "card_removed"


class ReadFailed(ReaderError):
    """The reader or the card did not answer properly, even after retries."""

    reason = "read_failed"


class WrongCard(ReaderError):
    """The card on the reader is not one this reader can read (a bank card, say)."""

    reason = "wrong_card"


class InvalidCardData(ReadFailed):
    """The card was read but its data failed validation; `error` says which field and why."""

    def __init__(self, error: CardDataError) -> None:
        super().__init__(str(error))
        self.error = error
        self.reason = error.reason


@dataclass(frozen=True)
class ReaderStatus:
    """A reader's health for the technician's checks and the kiosk's status bar."""

    backend: str
    connected: bool
    card_present: bool = False
    reader_name: str | None = None
    sam_id: str | None = None
    sam_state: str | None = None
    detail: str = ""


class IdCardReaderConfig(BaseModel):
    """The `[idcard]` section of the kiosk config.

    `port`/`baudrate`: the SAM reader's serial port (sam-serial). `reader`: a substring
    of the PC/SC reader name (pcsc; first reader when unset). `pcsc_mode`: what the
    PC/SC card is ("auto" tries the vendor FF B0 SAM blocks, then the social security
    card). `dedup_seconds`: a card kept on a reader that cannot tell presence (SAM) is
    not re-read within this time. `residents_file`: the simulated backend's residents.
    """

    model_config = ConfigDict(extra="forbid")

    backend: Literal["sam-serial", "pcsc", "manual", "simulated"] = "simulated"
    port: str | None = None
    baudrate: int = Field(default=115_200, ge=1200, le=921_600)
    reader: str | None = None
    pcsc_mode: Literal["auto", "social_security", "sam_ffb0"] = "auto"
    poll_interval: float = Field(default=0.1, ge=0.01, le=5.0)
    io_timeout: float = Field(default=1.0, gt=0.0, le=30.0)
    retries: int = Field(default=3, ge=0, le=10)
    dedup_seconds: float = Field(default=3.0, ge=0.0, le=600.0)
    residents_file: str | None = None


class CardReader(ABC):
    """An ID card reader, used from one asyncio loop.

    `open()` then any number of `wait_for_card()`; `close()` at the end (or use
    `async with`). Errors are ReaderError subclasses.
    """

    backend = "abstract"

    def __init__(self) -> None:
        self._removed_callbacks: list[Callable[[], None]] = []

    @abstractmethod
    async def open(self) -> None:
        """Connect to the reader; NoReader when it is not there."""

    @abstractmethod
    async def wait_for_card(self, timeout: float) -> IdentityRecord:
        """Wait until a new card is presented and read it; ReadTimeout after `timeout` s."""

    @abstractmethod
    async def close(self) -> None:
        """Release the reader; safe to call more than once."""

    @abstractmethod
    async def status(self) -> ReaderStatus:
        """The reader's current health, without reading a card."""

    def on_card_removed(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` (on the loop) whenever a card that was read leaves the reader.

        Returns a function that unregisters it.
        """
        self._removed_callbacks.append(callback)
        return lambda: self._removed_callbacks.remove(callback)

    def _card_removed(self) -> None:
        for callback in list(self._removed_callbacks):
            try:
                callback()
            except Exception:
                log.exception("card-removed callback failed")

    async def __aenter__(self) -> CardReader:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class DeviceThread:
    """One single-thread executor for one blocking device library, awaited from asyncio."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._executor: ThreadPoolExecutor | None = None

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        """Run `func(*args)` on the device thread and await its result."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._name)
        return await asyncio.get_running_loop().run_in_executor(self._executor, func, *args)

    def shutdown(self) -> None:
        """Stop the thread once its queued calls finish (it is recreated on the next run)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None


class KeptCardFilter:
    """Decides whether a read is a new card or the same card still lying on the reader.

    The same ID number seen again within `window` seconds of the last sighting is the
    same card; every sighting extends the window; `clear()` when the card is gone.
    """

    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._window = window
        self._clock = clock
        self._last: str | None = None
        self._seen_at = 0.0

    @property
    def holding(self) -> bool:
        """True while a card that was read is considered still on the reader."""
        return self._last is not None

    def is_new(self, id_number: str) -> bool:
        """True for a card not read recently; records the sighting either way."""
        now = self._clock()
        same = self._last == id_number and now - self._seen_at <= self._window
        self._last, self._seen_at = id_number, now
        return not same

    def clear(self) -> bool:
        """Forget the card (it left); True when there was one."""
        had = self._last is not None
        self._last = None
        return had


async def deadline_sleep(deadline: float, interval: float) -> None:
    """Sleep `interval` but not past `deadline`; ReadTimeout once the deadline has passed."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ReadTimeout("no card was presented in time")
    await asyncio.sleep(min(interval, remaining))
