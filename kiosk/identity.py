"""ID card reads at the kiosk, without Qt: from the officer's command or the helper's tap.

`IdCardDesk` runs one read at a time through the `CardReader` contract (opened on
first use, kept open), tells the hub how it goes (`device.progress`,
`device.failed`), validates what it got and sends it as `identity.report`.
Manual entry (the staff types number and name) is validated the same way before
anything is sent. The UI reads `prompt`, `message` and `last_masked`; only the
masked number is ever shown or logged here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Any, Protocol

from kiosk.devices.idcard import (
    CardReader,
    CardRemoved,
    IdCardReaderConfig,
    InvalidCardData,
    NoCard,
    NoReader,
    ReaderError,
    ReadTimeout,
    WrongCard,
    open_card_reader,
)
from kiosk.devices.idcard.manual import check_name, record_from_number
from shared.hubclient import HubError, HubRequestError
from shared.idcard import (
    CardDataError,
    IdentityRecord,
    InvalidIdNumber,
    Source,
    check_id_number,
    mask_id_number,
    normalize_id_number,
)
from shared.protocol import (
    DeviceCommand,
    DeviceErrorCode,
    DeviceFailed,
    DeviceProgress,
    DeviceStage,
    IdentityReport,
)
from shared.tasks import TaskKeeper

log = logging.getLogger(__name__)

DEFAULT_READ_TIMEOUT_S = 60.0
MAX_READ_TIMEOUT_S = 300.0


class Prompt(StrEnum):
    """What the touch screen asks for."""

    NONE = "none"
    CARD = "card"
    MANUAL = "manual"


class HubSender(Protocol):
    """The part of the hub client the desk uses."""

    async def request(self, message: Any, timeout: float = 10.0) -> Any: ...


def failure_code(exc: ReaderError) -> DeviceErrorCode:
    """The protocol's error code for a reader error."""
    if isinstance(exc, NoReader):
        return DeviceErrorCode.NO_READER
    if isinstance(exc, ReadTimeout | NoCard):
        return DeviceErrorCode.TIMEOUT
    if isinstance(exc, CardRemoved):
        return DeviceErrorCode.CARD_REMOVED
    if isinstance(exc, WrongCard):
        return DeviceErrorCode.WRONG_CARD
    if isinstance(exc, InvalidCardData):
        return DeviceErrorCode.INVALID_CARD
    return DeviceErrorCode.READ_FAILED


class IdCardDesk:
    """One ID card read at a time (see module docstring).

    `notify()` is called after every change the UI shows. `message` is a
    `(domain, key)` translation pair (None: nothing to say); `message_args`
    fill its placeholders.
    """

    def __init__(
        self,
        config: IdCardReaderConfig,
        hub: HubSender,
        notify: Callable[[], None],
        reader_factory: Callable[[IdCardReaderConfig], CardReader] = open_card_reader,
    ) -> None:
        self.config = config
        self._hub = hub
        self._notify = notify
        self._reader_factory = reader_factory
        self.reader: CardReader | None = None
        self._tasks = TaskKeeper("idcard")
        self._read_task: asyncio.Task[Any] | None = None
        self.session_id: str | None = None
        self.command_id: str | None = None
        self.prompt = Prompt.NONE
        self.message: tuple[str, str] | None = None
        self.message_args: dict[str, str] = {}
        self.last_masked: str | None = None
        self.last_name: str | None = None
        self.reports = 0

    @property
    def manual_only(self) -> bool:
        """The configured reader is manual entry: the card prompt goes straight to typing."""
        return self.config.backend == "manual"

    def _say(self, domain: str, key: str, **args: str) -> None:
        self.message = (domain, key)
        self.message_args = args

    # --- starting and stopping -------------------------------------------------

    def handle_command(self, session_id: str | None, command: DeviceCommand) -> None:
        """A `device.command` from the hub (called on the hub client's reader: never blocks)."""
        if session_id is None or command.session_id != session_id:
            log.info("device command for a session not in progress; refused")
            self._tasks.start(
                self._fail(command.session_id, command.command_id, DeviceErrorCode.BUSY),
                "idcard-refuse",
            )
            return
        timeout = command.params.get("timeout_s", DEFAULT_READ_TIMEOUT_S)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            timeout = DEFAULT_READ_TIMEOUT_S
        self.start_read(session_id, command.command_id, min(float(timeout), MAX_READ_TIMEOUT_S))

    def start_read(
        self, session_id: str, command_id: str | None, timeout: float = DEFAULT_READ_TIMEOUT_S
    ) -> None:
        """Ask for a card (replacing a read in progress, which is reported cancelled)."""
        self._stop_read(report=True)
        self.session_id, self.command_id = session_id, command_id
        self.prompt = Prompt.MANUAL if self.manual_only else Prompt.CARD
        self._say("kiosk", "idcard.prompt.hint")
        self._notify()
        if not self.manual_only:
            self._read_task = self._tasks.start(
                self._read(session_id, command_id, timeout), "idcard-read"
            )
        else:
            self._progress_later("manual_entry")
        if self.manual_only or command_id is None:
            return
        self._progress_later("waiting_for_card")

    def _progress_later(self, stage: DeviceStage) -> None:
        if self.session_id is not None and self.command_id is not None:
            self._tasks.start(self._progress(self.session_id, self.command_id, stage), "progress")

    def cancel(self) -> None:
        """The helper pressed 取消: stop waiting, tell the officer."""
        self._stop_read(report=True)
        self.prompt = Prompt.NONE
        self._say("kiosk", "idcard.cancelled")
        self._notify()

    def enter_manual(self) -> None:
        """The helper pressed 手动输入: stop waiting for a card, show the keypad."""
        self._stop_read(report=False)
        self.prompt = Prompt.MANUAL
        self.message = None
        self._notify()
        self._progress_later("manual_entry")

    def back_to_card(self) -> None:
        """From the keypad back to the card prompt (a new wait for a card)."""
        if self.session_id is not None:
            self.start_read(self.session_id, self.command_id)

    def session_over(self) -> None:
        """The call ended: drop the prompt and the last result."""
        self._stop_read(report=False)
        self.session_id = self.command_id = None
        self.prompt = Prompt.NONE
        self.message = None
        self.last_masked = self.last_name = None
        self._notify()

    def _stop_read(self, report: bool) -> None:
        task, self._read_task = self._read_task, None
        if task is not None and not task.done():
            task.cancel()
        pending = self.prompt is not Prompt.NONE
        if report and pending and self.session_id is not None and self.command_id is not None:
            self._tasks.start(
                self._fail(self.session_id, self.command_id, DeviceErrorCode.CANCELLED),
                "idcard-cancelled",
            )
        if report:
            self.command_id = None

    async def close(self) -> None:
        """Stop any read and close the reader."""
        self._stop_read(report=False)
        await self._tasks.cancel_all()
        reader, self.reader = self.reader, None
        if reader is not None:
            with contextlib.suppress(Exception):
                await reader.close()

    # --- the read --------------------------------------------------------------

    async def _open_reader(self) -> CardReader:
        if self.reader is None:
            reader = self._reader_factory(self.config)
            await reader.open()
            self.reader = reader
        return self.reader

    async def _read(self, session_id: str, command_id: str | None, timeout: float) -> None:
        try:
            reader = await self._open_reader()
            record = await reader.wait_for_card(timeout)
        except ReaderError as exc:
            log.info("ID card read failed: %s", exc.reason)
            if isinstance(exc, NoReader):
                self.reader = None  # try to open it again next time
            self.prompt = Prompt.NONE
            self._say("common", exc.code)
            self._notify()
            if command_id is not None:
                await self._fail(session_id, command_id, failure_code(exc), exc.reason)
            return
        self._read_task = None
        await self.deliver(session_id, command_id, record)

    async def read_local(self, timeout: float = DEFAULT_READ_TIMEOUT_S) -> IdentityRecord:
        """Read a card for the kiosk's own use (before a call): nothing goes to the hub.

        Raises `ReaderError` subclasses; the caller keeps only what it needs.
        """
        if self.manual_only:
            raise NoReader("manual entry only")
        reader = await self._open_reader()
        try:
            return await reader.wait_for_card(timeout)
        except NoReader:
            self.reader = None  # try to open it again next time
            raise

    async def submit_manual(self, number: str, name: str) -> tuple[str, str] | None:
        """Validate a typed entry and send it; returns the (domain, key) of what is wrong."""
        session_id = self.session_id
        if session_id is None:
            return ("kiosk", "idcard.no_session")
        cleaned = normalize_id_number(number)
        try:
            check_id_number(cleaned)
            record = record_from_number(cleaned, check_name(name), Source.MANUAL)
        except InvalidIdNumber as exc:
            return ("common", f"idcard.error.{exc.reason}")
        except CardDataError as exc:
            return ("common", exc.code)
        await self.deliver(session_id, self.command_id, record)
        return None

    async def deliver(
        self, session_id: str, command_id: str | None, record: IdentityRecord
    ) -> bool:
        """Check a record and send it to the hub; True when the hub stored it."""
        try:
            check_id_number(record.id_number)
        except InvalidIdNumber as exc:
            # A reader backend should not hand this over; never send it on.
            self.prompt = Prompt.NONE
            self._say("common", f"idcard.error.{exc.reason}")
            self._notify()
            if command_id is not None:
                await self._fail(session_id, command_id, DeviceErrorCode.INVALID_CARD, exc.reason)
            return False
        report = IdentityReport(session_id=session_id, command_id=command_id,
                                record=record.to_dict())  # fmt: skip
        try:
            await self._hub.request(report)
        except HubRequestError as exc:
            log.info("the hub refused the identity (%s)", exc.code)
            self.prompt = Prompt.NONE
            self._say("kiosk", "idcard.refused")
            self._notify()
            return False
        except HubError as exc:
            log.info("could not send the identity: %s", type(exc).__name__)
            self.prompt = Prompt.NONE
            self._say("kiosk", "idcard.unsent")
            self._notify()
            return False
        self.reports += 1
        self.prompt = Prompt.NONE
        self.command_id = None
        self.last_masked, self.last_name = mask_id_number(record.id_number), record.name
        if record.is_expired(date.today()):
            self._say("common", "idcard.error.expired")
        else:
            self._say("kiosk", "idcard.done", name=record.name, number=self.last_masked)
        log.info("identity sent (%s, %s)", record.source.value, self.last_masked)
        self._notify()
        return True

    async def _progress(self, session_id: str, command_id: str, stage: DeviceStage) -> None:
        message = DeviceProgress(session_id=session_id, command_id=command_id,
                                 kind="idcard.read", stage=stage)  # fmt: skip
        with contextlib.suppress(HubError):
            await self._hub.request(message)

    async def _fail(
        self,
        session_id: str,
        command_id: str,
        code: DeviceErrorCode,
        reason: str | None = None,
    ) -> None:
        message = DeviceFailed(session_id=session_id, command_id=command_id, kind="idcard.read",
                               code=code, reason=reason, message=code.value)  # fmt: skip
        try:
            await self._hub.request(message)
        except HubError as exc:
            log.info("could not report the failed read: %s", type(exc).__name__)
