"""Progress look-up at the kiosk (查询办理进度), without Qt.

The resident enters the receipt's case number and the last four characters of
the ID number on an on-screen keypad, or lays the receipt under the document
camera: the QR code (`RVW-CASE:<case number>`) fills in the number. The hub
answers `POST /api/v1/progress` with the state, the matter and the public
timeline; an unknown number and wrong digits get the same answer, and too many
wrong tries are refused for a while (`rate_limited`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
from pydantic import ValidationError

from shared.hubclient import HubError, HubRequestError, request_json
from shared.imaging.qr import decode_qr_texts
from shared.protocol.cases import Progress, ProgressBody
from shared.protocol.http import invalid_text

log = logging.getLogger(__name__)

QR_PREFIX = "RVW-CASE:"
CASE_RE = re.compile(r"^SL\d{8}-\d{6}$")
CASE_DIGITS = 14  # SL + 8 date digits + "-" + 6 digits: 14 digits typed
LAST4_RE = re.compile(r"^\d{3}[\dX]$")


def parse_qr_payload(text: str) -> str | None:
    """The case number in a receipt QR payload, or None for anything else."""
    if not text.startswith(QR_PREFIX):
        return None
    case_no = text[len(QR_PREFIX) :].strip()
    return case_no if CASE_RE.match(case_no) else None


def find_case_qr(frame: np.ndarray) -> str | None:
    """The case number of a receipt QR code in a camera frame (RGB or grey), or None."""
    for text in decode_qr_texts(frame):
        case_no = parse_qr_payload(text)
        if case_no is not None:
            return case_no
    return None


def format_case_digits(digits: str) -> str:
    """The case number as typed so far: `SL` + up to 8 digits + `-` + up to 6 digits."""
    digits = digits[:CASE_DIGITS]
    return "SL" + digits[:8] + ("-" + digits[8:] if len(digits) > 8 else "")


@runtime_checkable
class ProgressHub(Protocol):
    """The part of the hub client the desk uses."""

    async def post_json(self, path: str, payload: dict[str, Any]) -> Any: ...


class CameraLike(Protocol):
    """The part of a document camera the scan uses."""

    async def capture(self) -> np.ndarray: ...


async def read_code(
    camera: CameraLike, finder: Callable[[np.ndarray], str | None], what: str
) -> str | None:
    """One frame from `camera` read by `finder` (off the loop); None when nothing is found.

    A camera failure is a "not found" to the person at the kiosk (and a log line).
    """
    try:
        frame = await camera.capture()
        return await asyncio.to_thread(finder, frame)
    except Exception as exc:
        log.warning("%s scan failed: %s", what, type(exc).__name__)
        return None


@dataclass
class ProgressDesk:
    """What the progress page shows and does: typed digits, the answer or the problem."""

    get_hub: Callable[[], ProgressHub | None]
    get_camera: Callable[[], Awaitable[CameraLike | None]] | None = None
    active: bool = False
    case_digits: str = ""
    last4: str = ""
    field_name: str = "case_no"  # which field the keypad types into
    busy: bool = False
    result: Progress | None = None
    error_key: str | None = None  # a "cases" translation key
    notice_key: str | None = None
    listeners: list[Callable[[], None]] = field(default_factory=list)

    @property
    def case_no(self) -> str:
        """The case number as typed (or scanned)."""
        return format_case_digits(self.case_digits)

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()

    def open(self) -> None:
        """Show the page, empty."""
        self.active = True
        self.clear()

    def close(self) -> None:
        """Leave the page (back to the home page); forget what was typed."""
        self.active = False
        self.case_digits = self.last4 = ""
        self.result = self.error_key = self.notice_key = None
        self._changed()

    def clear(self) -> None:
        """Empty both fields and the answer."""
        self.case_digits = self.last4 = ""
        self.field_name = "case_no"
        self.result = self.error_key = self.notice_key = None
        self._changed()

    def select(self, name: str) -> None:
        """Type into `case_no` or `last4` from now on (a shown answer makes way)."""
        if name in ("case_no", "last4"):
            self.field_name = name
            self.result = None
            self._changed()

    def key(self, key: str) -> None:
        """One keypad key: a digit, `X` (last 4 only), or `back`."""
        self.error_key = self.notice_key = None
        if self.field_name == "case_no":
            if key == "back":
                self.case_digits = self.case_digits[:-1]
            elif key.isdigit() and len(self.case_digits) < CASE_DIGITS:
                self.case_digits += key
                if len(self.case_digits) == CASE_DIGITS:
                    self.field_name = "last4"  # number complete: on to the digits
        elif key == "back":
            self.last4 = self.last4[:-1]
        elif (key.isdigit() or (key == "X" and len(self.last4) == 3)) and len(self.last4) < 4:
            self.last4 += key
        self._changed()

    def ready(self) -> bool:
        """Both fields complete."""
        return bool(CASE_RE.match(self.case_no)) and bool(LAST4_RE.match(self.last4))

    async def scan(self) -> bool:
        """Read the case number from a receipt under the document camera; True when found."""
        camera = None if self.get_camera is None else await self.get_camera()
        if camera is None:
            self.error_key = "progress.scan.none"
            self._changed()
            return False
        self.busy = True
        self._changed()
        try:
            case_no = await read_code(camera, find_case_qr, "receipt")
        finally:
            self.busy = False
        if case_no is None:
            self.error_key = "progress.scan.none"
            self._changed()
            return False
        self.case_digits = case_no[2:].replace("-", "")
        self.field_name = "last4"
        self.error_key, self.notice_key = None, "progress.scan.found"
        self._changed()
        return True

    async def query(self) -> bool:
        """Ask the hub; True with `result` set, False with `error_key` set."""
        if not self.ready():
            self.error_key = "progress.bad_input"
            self._changed()
            return False
        hub = self.get_hub()
        if hub is None:
            self.error_key = "progress.unreachable"
            self._changed()
            return False
        self.busy, self.result, self.error_key, self.notice_key = True, None, None, None
        self._changed()
        try:
            body = request_json(ProgressBody, case_no=self.case_no, last4=self.last4)
            answer = await hub.post_json("/api/v1/progress", body)
            self.result = Progress.model_validate(answer)
        except HubRequestError as exc:
            self.error_key = {
                "rate_limited": "progress.rate_limited",
                "bad_message": "progress.bad_input",
            }.get(exc.code, "progress.not_found")
        except HubError:
            self.error_key = "progress.unreachable"
        except ValidationError as exc:  # a hub that answers something else
            log.warning("the progress answer is malformed: %s", invalid_text(exc))
            self.error_key = "progress.unreachable"
        finally:
            self.busy = False
            self.last4 = ""  # never kept on screen once asked
        self._changed()
        return self.result is not None
