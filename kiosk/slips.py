"""Originals hand-over at the kiosk (原件交接), without Qt.

The neighbourhood helper records, for a transmittal slip printed at this point,
that the originals were received at the point (`at_point`), came back from the
centre (`returned_to_point`) and were handed back to the resident
(`returned_to_resident`). The slip's code is read from its QR code under the
document camera (`RVW-SLIP:<code>:<case no>`) or typed on a keypad (the `LZ-SL`
prefix and the dash are filled in). The hub (`POST /api/v1/circulation/scan`)
refuses a hop out of order with where the originals are and the hop expected
next; a slip of another point and an unknown code are refused too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np
from pydantic import ValidationError

from kiosk.progress import (
    CASE_DIGITS,
    CameraLike,
    ProgressHub,
    format_case_digits,
    read_code,
)
from shared.hubclient import HubError, HubRequestError, request_json
from shared.i18n import tr
from shared.imaging.qr import decode_qr_texts
from shared.protocol.circulation import Circulation, CirculationConflict, ScanBody
from shared.protocol.http import invalid_text

log = logging.getLogger(__name__)

SLIP_PREFIX = "RVW-SLIP:"
CODE_PREFIX = "LZ-"
# The case number part: the hub's own numbers are digits, a session's fallback a hex digest.
CODE_RE = re.compile(r"^LZ-SL\d{8}-[0-9A-F]{6}$")
KIOSK_HOPS = ("at_point", "returned_to_point", "returned_to_resident")
"""The hops recorded at a service point, in the order the originals travel."""
STATES = ("issued", "at_point", "with_courier", "at_centre", *KIOSK_HOPS[1:])
SCAN_PATH = "/api/v1/circulation/scan"


def parse_slip_payload(text: str) -> str | None:
    """The slip code in a slip QR payload (`RVW-SLIP:<code>:<case no>`), or None."""
    if not text.startswith(SLIP_PREFIX):
        return None
    code = text[len(SLIP_PREFIX) :].split(":", 1)[0].strip()
    return code if CODE_RE.match(code) else None


def find_slip_qr(frame: np.ndarray) -> str | None:
    """The slip code of a transmittal slip's QR code in a camera frame, or None."""
    for text in decode_qr_texts(frame):
        code = parse_slip_payload(text)
        if code is not None:
            return code
    return None


@dataclass
class SlipDesk:
    """What the hand-over page shows and does: the code, the hop recorded or the refusal.

    `error_key` / `notice_key` are "slips" translation keys; `error_fmt` fills the
    error's placeholders (`state`, `expected` as translated hop names).
    """

    get_hub: Callable[[], ProgressHub | None]
    get_camera: Callable[[], Awaitable[CameraLike | None]] | None = None
    active: bool = False
    digits: str = ""
    scanned: str | None = None  # a code read from a QR code (may carry hex digits)
    busy: bool = False
    result: Circulation | None = None  # the hub's answer to the last recorded hop
    recorded_hop: str | None = None
    error_key: str | None = None
    error_fmt: dict[str, str] = field(default_factory=dict)
    notice_key: str | None = None
    listeners: list[Callable[[], None]] = field(default_factory=list)

    @property
    def code(self) -> str:
        """The slip code as scanned or typed so far."""
        if self.scanned is not None:
            return self.scanned
        return CODE_PREFIX + format_case_digits(self.digits)

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()

    def _forget_answer(self) -> None:
        self.result = self.recorded_hop = self.error_key = self.notice_key = None
        self.error_fmt = {}

    def open(self) -> None:
        """Show the page, empty."""
        self.active = True
        self.clear()

    def close(self) -> None:
        """Leave the page (back to the home page); forget the code and the answer."""
        self.active = False
        self.digits, self.scanned = "", None
        self._forget_answer()
        self._changed()

    def clear(self) -> None:
        """Empty the code and the answer."""
        self.digits, self.scanned = "", None
        self._forget_answer()
        self._changed()

    def key(self, key: str) -> None:
        """One keypad key: a digit or `back` (typing replaces a scanned code)."""
        if self.scanned is not None:
            self.scanned = None
            self.digits = ""
        self._forget_answer()
        if key == "back":
            self.digits = self.digits[:-1]
        elif key.isdigit() and len(key) == 1 and len(self.digits) < CASE_DIGITS:
            self.digits += key
        self._changed()

    def ready(self) -> bool:
        """The code is complete."""
        return bool(CODE_RE.match(self.code))

    async def scan(self) -> bool:
        """Read the slip code from the slip under the document camera; True when found."""
        camera = None if self.get_camera is None else await self.get_camera()
        if camera is None:
            self._fail("scan.none")
            return False
        self._forget_answer()
        self.busy = True
        self._changed()
        try:
            code = await read_code(camera, find_slip_qr, "slip")
        finally:
            self.busy = False
        if code is None:
            self._fail("scan.none")
            return False
        self.scanned, self.digits = code, ""
        self.notice_key = "scan.found"
        self._changed()
        return True

    def message(self) -> tuple[str, str]:
        """The line the page shows and its kind ("busy", "error", "done", "notice" or "")."""
        if self.busy:
            return tr("slips", "busy"), "busy"
        if self.error_key:
            names = {k: tr("slips", f"state.{v}") for k, v in self.error_fmt.items()}
            return tr("slips", self.error_key, **names), "error"
        if self.notice_key:
            kind = "done" if self.recorded_hop else "notice"
            return tr("slips", self.notice_key, code=self.code), kind
        return "", ""

    def _fail(self, key: str, **fmt: str) -> None:
        self.result = self.recorded_hop = self.notice_key = None
        self.error_key, self.error_fmt = key, dict(fmt)
        self._changed()

    async def record(self, hop: str) -> bool:
        """Record `hop` for the slip; True with `result` set, False with `error_key` set."""
        if hop not in KIOSK_HOPS:
            self._fail("error.bad_hop")
            return False
        if not self.ready():
            self._fail("error.bad_code")
            return False
        hub = self.get_hub()
        if hub is None:
            self._fail("error.unreachable")
            return False
        self._forget_answer()
        self.busy = True
        self._changed()
        try:
            body = request_json(ScanBody, code=self.code, hop=hop)
            answer = Circulation.model_validate(await hub.post_json(SCAN_PATH, body))
        except HubRequestError as exc:
            self.busy = False
            self._refused(exc)
            return False
        except HubError:
            self.busy = False
            self._fail("error.unreachable")
            return False
        except ValidationError as exc:  # recorded, perhaps, but the answer is not understood
            self.busy = False
            log.warning("the hand-over answer is malformed: %s", invalid_text(exc))
            self._fail("error.refused")
            return False
        self.busy = False
        self.result, self.recorded_hop = answer, hop
        self.notice_key = f"done.{hop}"
        log.info("originals hand-over recorded: %s", hop)  # the code is a case number: not logged
        self._changed()
        return True

    def _refused(self, exc: HubRequestError) -> None:
        if exc.code == "conflict":
            try:
                conflict = CirculationConflict.model_validate(exc.body)
            except ValidationError:
                self._fail("error.refused")
                return
            if conflict.state == STATES[-1] or conflict.expected is None:
                self._fail("error.finished")
            else:
                self._fail("error.out_of_order", state=conflict.state, expected=conflict.expected)
        else:
            key = {"not_found": "error.not_found", "forbidden": "error.forbidden"}
            self._fail(key.get(exc.code, "error.refused"))
