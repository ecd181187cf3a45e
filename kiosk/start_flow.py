"""The resident's start at the kiosk, without Qt (issue 6): matter, checklist, queue or call-back.

`StartFlow` is what the start pages show and what their buttons do::

    HOME --begin--> CATEGORY --line--> MATTERS --matter--> MATTER --start--> (queue)
                        '--letters--> SEARCH ----'             '--outside hours--> CALLBACK
                                                                                      |
                                                        CALLBACK_DONE <--submit--------'

`back()` goes one page up, `home()` (a button, or the idle timeout the UI runs)
forgets everything the resident chose. Unavailable matters (a device the
matter needs has failed, or it cannot be handled remotely) are shown but not
chosen. A card read here only yields the birth date for the 70+ priority; the
rest of the record is dropped at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date
from enum import StrEnum
from typing import Any, Protocol

from kiosk.catalogue import CatalogueDesk, NoCatalogue, ServiceHours, UnknownMatter
from kiosk.devices.idcard import ReaderError
from shared.catalogue.model import DeviceKind, OfferedMatter
from shared.hubclient import HubError, HubRequestError
from shared.protocol.callbacks import InvalidPhone, is_valid_phone, mask_phone

log = logging.getLogger(__name__)

MAX_PHONE_DIGITS = 12
MAX_QUERY_LETTERS = 12
CARD_READ_TIMEOUT_S = 30.0
DEVICE_REASON_KEYS: dict[DeviceKind, str] = {
    "printer": "reason.printer",
    "idcard": "reason.idcard",
    "doccam": "reason.doccam",
    "signpad": "reason.signpad",
}


class StartStep(StrEnum):
    """Which start page is on the touch screen."""

    HOME = "home"
    CATEGORY = "category"
    MATTERS = "matters"
    SEARCH = "search"
    MATTER = "matter"
    CALLBACK = "callback"
    CALLBACK_DONE = "callback_done"


class CardReading(Protocol):
    """The part of `kiosk.identity.IdCardDesk` the flow uses."""

    @property
    def manual_only(self) -> bool: ...

    async def read_local(self, timeout: float = ...) -> Any: ...


StartQueue = Callable[..., Awaitable[bool]]
"""`KioskController.start_service(matter, assistance=..., birth_date=...)`."""


def unavailable_reason(offer: OfferedMatter) -> str | None:
    """The i18n key (domain "start") saying why a matter cannot be chosen, or None."""
    if not offer.matter.remote:
        return "reason.not_remote"
    if offer.missing_devices:
        return DEVICE_REASON_KEYS.get(offer.missing_devices[0], "reason.device")
    return None


class StartFlow:
    """State and actions of the start pages (see module docstring).

    `notify()` is called after every change; the UI re-reads the public
    attributes. `error` and `card_message` are i18n keys of the "start" domain.
    """

    def __init__(
        self,
        desk: CatalogueDesk,
        start_queue: StartQueue,
        notify: Callable[[], None],
        card: CardReading | None = None,
    ) -> None:
        self.desk = desk
        self._start_queue = start_queue
        self._notify = notify
        self._card = card
        self._card_task: asyncio.Task[Any] | None = None
        self.hours = ServiceHours()
        self._reset()

    def _reset(self) -> None:
        self.step = StartStep.HOME
        self.line_code: str | None = None
        self.query = ""
        self.offer: OfferedMatter | None = None
        self.assistance = False
        self.birth_date: date | None = None
        self.card_message: str | None = None
        self.phone = ""
        self.note = ""
        self.phone_masked: str | None = None
        self.error: str | None = None
        self.busy = False

    def _go(self, step: StartStep) -> None:
        self.step = step
        self.error = None
        self._notify()

    # --- what the pages show ---------------------------------------------------

    @property
    def card_feasible(self) -> bool:
        """Whether a card can be read here before the call (a reader, not manual entry)."""
        return self._card is not None and not self._card.manual_only

    def shown_matters(self) -> list[OfferedMatter]:
        """The list page's matters: the chosen line's, or the search results."""
        if self.desk.catalogue is None:
            return []
        if self.step == StartStep.SEARCH or (self.query and self.step != StartStep.MATTERS):
            return self.desk.offered(self.desk.search(self.query))
        if self.line_code is None:
            return []
        return self.desk.offered(self.desk.matters_of(self.line_code))

    def phone_valid(self) -> bool:
        """Whether the typed number may be sent."""
        return is_valid_phone(self.phone)

    # --- navigation ------------------------------------------------------------

    async def begin(self) -> None:
        """开始办理 on the home page: the category page, with the catalogue loaded."""
        self._reset()
        try:
            self.desk.load_cache()
        except NoCatalogue:
            try:
                await self.desk.refresh()
            except NoCatalogue:
                log.error("no matter catalogue: the start pages cannot open")
                self.error = "error.no_catalogue"
                self._notify()
                return
        self._go(StartStep.CATEGORY)
        await self.refresh_hours()

    async def refresh_hours(self) -> None:
        """Ask the hub whether the point serves now (the matter page reads `hours`)."""
        self.hours = await self.desk.service_hours()
        self._notify()

    def choose_line(self, line_code: str) -> None:
        """A line button: its matters."""
        if self.desk.catalogue is None or self.desk.catalogue.line(line_code) is None:
            self.error = "error.unknown_line"
            self._notify()
            return
        self.line_code = line_code
        self.query = ""
        self._go(StartStep.MATTERS)

    def type_letter(self, letter: str) -> None:
        """A key of the letter keyboard: search by pinyin initials."""
        typed = len(letter) == 1 and letter.isascii() and letter.isalpha()
        if typed and len(self.query) < MAX_QUERY_LETTERS:
            self.query += letter.lower()
        self._after_query()

    def backspace_letter(self) -> None:
        """⌫ on the letter keyboard."""
        self.query = self.query[:-1]
        self._after_query()

    def clear_query(self) -> None:
        """清除 on the letter keyboard."""
        self.query = ""
        self._after_query()

    def set_query(self, text: str) -> None:
        """Search for `text` (any script; used by tests and a hardware keyboard)."""
        self.query = text.strip()[:40]
        self._after_query()

    def open_search(self) -> None:
        """按拼音首字母查找 on the category page: the letter keyboard and its results."""
        self.query = ""
        self._go(StartStep.SEARCH)

    def _after_query(self) -> None:
        if self.step != StartStep.SEARCH:
            self._go(StartStep.SEARCH)
        else:
            self.error = None
            self._notify()

    def choose_matter(self, code: str) -> bool:
        """A matter in the list: its checklist. False (and `error`) when it cannot be chosen."""
        try:
            offer = self.desk.offer(code)
        except (UnknownMatter, NoCatalogue):
            self.error = "error.unknown_matter"
            self._notify()
            return False
        reason = unavailable_reason(offer)
        if reason is not None:
            self.error = reason
            self._notify()
            return False
        self.offer = offer
        self.assistance = False
        self.birth_date = None
        self.card_message = None
        self._go(StartStep.MATTER)
        return True

    def set_assistance(self, on: bool) -> None:
        """需要协助."""
        self.assistance = on
        self._notify()

    def back(self) -> None:
        """返回: one page up."""
        self._cancel_card()
        if self.step == StartStep.CALLBACK:
            self._go(StartStep.MATTER)
        elif self.step == StartStep.MATTER:
            self._go(StartStep.MATTERS if self.line_code and not self.query else StartStep.SEARCH)
        elif self.step in (StartStep.MATTERS, StartStep.SEARCH):
            self.query = ""
            self._go(StartStep.CATEGORY)
        else:
            self.home()

    def home(self) -> None:
        """首页, or the idle timeout: forget everything chosen."""
        self._cancel_card()
        self._reset()
        self._notify()

    # --- card, queue, call-back --------------------------------------------------

    def read_card(self) -> None:
        """刷身份证: read it here for the birth date only (70+ priority)."""
        if not self.card_feasible or self.step != StartStep.MATTER:
            return
        self._cancel_card()
        self.card_message = "card.waiting"
        self._notify()
        self._card_task = asyncio.ensure_future(self._read_card())

    async def _read_card(self) -> None:
        assert self._card is not None
        try:
            record = await self._card.read_local(CARD_READ_TIMEOUT_S)
        except ReaderError as exc:
            log.info("ID card read before the call failed: %s", exc.reason)
            self.card_message = "card.failed"
            self._notify()
            return
        # Only the birth date is kept; the record goes out of scope here.
        self.birth_date = getattr(record, "birth_date", None)
        del record
        self.card_message = "card.done" if self.birth_date else "card.no_birth_date"
        self._notify()

    def _cancel_card(self) -> None:
        task, self._card_task = self._card_task, None
        if task is not None and not task.done():
            task.cancel()

    async def start(self) -> bool:
        """开始办理 on the matter page: join the queue with matter, assistance and birth date."""
        if self.step != StartStep.MATTER or self.offer is None or self.busy:
            return False
        offer = self.desk.offer(self.offer.matter.code)  # the devices may have failed meanwhile
        reason = unavailable_reason(offer)
        if reason is not None:
            self.error = reason
            self._notify()
            return False
        self._cancel_card()
        self.busy = True
        try:
            ok = await self._start_queue(
                offer.matter.code, assistance=self.assistance, birth_date=self.birth_date
            )
        finally:
            self.busy = False
        if ok:
            self._reset()  # the controller's waiting page takes over
            self._notify()
        else:
            self.error = "error.start_failed"
            self._notify()
        return ok

    def open_callback(self) -> None:
        """留下回电请求 (outside service hours)."""
        if self.step == StartStep.MATTER and self.offer is not None:
            self.phone = ""
            self.note = ""
            self._go(StartStep.CALLBACK)

    def type_digit(self, digit: str) -> None:
        """A key of the digit keypad."""
        if len(digit) == 1 and digit.isdigit() and len(self.phone) < MAX_PHONE_DIGITS:
            self.phone += digit
        self.error = None
        self._notify()

    def backspace_digit(self) -> None:
        """⌫ on the keypad."""
        self.phone = self.phone[:-1]
        self._notify()

    def clear_phone(self) -> None:
        """清除 on the keypad."""
        self.phone = ""
        self._notify()

    def phone_shown(self) -> str:
        """The typed number as the page shows it: masked once complete (people look on)."""
        return mask_phone(self.phone) if self.phone_valid() else self.phone

    async def submit_callback(self) -> bool:
        """提交: post the call-back request. False (and `error`) on a bad number or a refusal."""
        if self.step != StartStep.CALLBACK or self.offer is None or self.busy:
            return False
        self.busy = True
        try:
            masked = await self.desk.leave_callback(self.offer.matter.code, self.phone, self.note)
        except InvalidPhone:
            self.error = "error.bad_phone"
            return False
        except HubRequestError as exc:
            log.warning("call-back request refused: %s", exc.code)
            self.error = "error.callback_refused"
            return False
        except (HubError, UnknownMatter) as exc:
            log.warning("call-back request not sent: %s", type(exc).__name__)
            self.error = "error.callback_unsent"
            return False
        finally:
            self.busy = False
            self._notify()
        self.phone = ""  # the number leaves the kiosk's memory once the hub has it
        self.phone_masked = masked
        self._go(StartStep.CALLBACK_DONE)
        return True
