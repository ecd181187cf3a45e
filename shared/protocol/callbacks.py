"""Call-back requests (issue 6): what a kiosk posts outside service hours, and phone rules.

`POST /api/v1/callbacks` takes a `CallbackCreate`. The phone number is personal
data: `normalize_phone` checks it (a mainland mobile number `1[3-9]` + 9 digits,
or a landline: area code `0` + 2-3 digits + 7-8 digits, or a local 7-8 digit
number), `mask_phone` is the only form ever shown or logged, and error messages
never quote it.

Hub: `backoffice_console/hub/callbacks/routes.py`. Replies: `CallbackCreated`,
`CallbacksReply` (phones masked), `CallbackPhone` (the full number, audited) and
`CallbackClosed`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, field_validator

from shared.protocol.base import Model

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0[1-9]\d{1,2}[2-9]\d{6,7}$")
_LOCAL = re.compile(r"^[2-9]\d{6,7}$")
_SEPARATORS = re.compile(r"[\s-]")
MAX_NOTE_CHARS = 200


class InvalidPhone(ValueError):
    """The text is not a mainland mobile or landline number (the message never quotes it)."""

    def __init__(self) -> None:
        super().__init__("not a mobile (1[3-9] + 9 digits) or landline number")


def normalize_phone(text: str) -> str:
    """The number's digits (spaces and dashes dropped); raises `InvalidPhone`."""
    digits = _SEPARATORS.sub("", text or "")
    if len(digits) > 20 or not (
        _MOBILE.match(digits) or _LANDLINE.match(digits) or _LOCAL.match(digits)
    ):
        raise InvalidPhone()
    return digits


def is_valid_phone(text: str) -> bool:
    """Whether `normalize_phone` accepts `text`."""
    try:
        normalize_phone(text)
    except InvalidPhone:
        return False
    return True


def mask_phone(digits: str) -> str:
    """`138****1234`: the first 3 and last 4 digits (shorter numbers keep only the last 2)."""
    if len(digits) >= 10:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * max(0, len(digits) - 2) + digits[-2:]


class CallbackCreate(Model):
    """`POST /api/v1/callbacks` (kiosk): please call this resident back about `matter_code`."""

    matter_code: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
    phone: Annotated[str, Field(min_length=1, max_length=32)]
    note: Annotated[str, Field(max_length=MAX_NOTE_CHARS)] = ""

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalize_phone(value)


class CallbackDone(Model):
    """`POST /api/v1/callbacks/{id}/done` (officer): the call-back was made; `note` says how."""

    note: Annotated[str, Field(max_length=500)] = ""


class CallbackCreated(Model):
    """Reply to `POST /api/v1/callbacks`: the request's id and the number masked."""

    id: int
    phone_masked: str


class CallbackRow(Model):
    """A call-back request as listed (the number masked)."""

    id: int
    point_name: str
    matter_code: str
    matter_name: str
    """The name in the current catalogue (the code when it has no such matter)."""
    created_at: datetime
    phone_masked: str
    note: str
    state: Literal["open", "done"]
    done_at: datetime | None
    done_note: str | None


class CallbacksReply(Model):
    """`GET /api/v1/callbacks?state=open|done|all`: the requests, oldest first."""

    callbacks: list[CallbackRow]


class CallbackPhone(Model):
    """`GET /api/v1/callbacks/{id}/phone`: the number to dial (audited)."""

    id: int
    phone: str


class CallbackClosed(Model):
    """Reply to `POST /api/v1/callbacks/{id}/done`."""

    id: int
    state: Literal["done"]
