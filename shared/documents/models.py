"""Typed, validated inputs of every document, checked before anything is drawn.

Text fields refuse control characters and are bounded in length so a layout can
never be pushed off the page by a runaway value; the ID number is validated
(GB 11643 check character) and only ever drawn masked.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_ID18 = re.compile(r"^\d{17}[\dX]$")
_FOREIGNER_2017 = re.compile(r"^[A-Z]{3}\d{12}$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _no_control(value: str) -> str:
    match = _CONTROL.search(value)
    if match:
        raise ValueError(f"control character U+{ord(match.group()):04X} is not allowed")
    return value


def _one_line(value: str) -> str:
    if "\n" in value:
        raise ValueError("must be a single line")
    return _no_control(value)


Line = Annotated[str, Field(min_length=1, max_length=80), AfterValidator(_one_line)]
ShortLine = Annotated[str, Field(min_length=1, max_length=40), AfterValidator(_one_line)]
Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,47}$")]
Paragraph = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_no_control)]


def mask_id_number(number: str) -> str:
    """The ID number as shown on paper: first 6 and last 4 characters, the rest starred."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


class PaperSize(StrEnum):
    """Paper sizes the layouts support."""

    A4 = "A4"
    A5 = "A5"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Material(_Model):
    """One material the centre received (a scanned page set, a copy, an original)."""

    name: Line
    copies: int = Field(default=1, ge=1, le=999)
    original: bool = False


class Receipt(_Model):
    """Acceptance receipt (受理回执) handed to the resident."""

    case_number: Code
    matter: Line
    resident_name: ShortLine
    id_number: str
    materials: list[Material] = Field(default_factory=list, max_length=40)
    officer_number: Code
    service_point: Line
    accepted_at: datetime
    next_steps: Paragraph
    progress_hint: Line | None = None
    qr_payload: Annotated[str, Field(min_length=1, max_length=300)] | None = None

    @field_validator("id_number")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        value = value.strip().upper()
        if _FOREIGNER_2017.match(value):
            return value
        if not _ID18.match(value):
            raise ValueError("ID number must be 18 characters (17 digits and a digit or X)")
        total = sum(int(d) * w for d, w in zip(value[:17], _WEIGHTS, strict=True))
        if "10X98765432"[total % 11] != value[17]:
            raise ValueError("ID number check character is wrong")
        return value

    @property
    def masked_id(self) -> str:
        """The ID number masked for paper."""
        return mask_id_number(self.id_number)

    @property
    def qr_text(self) -> str:
        """What the QR code encodes: the case for progress checks."""
        return self.qr_payload or f"RVW-CASE:{self.case_number}"


class SlipItem(_Model):
    """One original travelling to the centre; `code` labels the item (own QR code)."""

    code: Code
    name: Line
    copies: int = Field(default=1, ge=1, le=999)
    pages: int | None = Field(default=None, ge=1, le=9999)
    note: ShortLine | None = None


class TransmittalSlip(_Model):
    """Material transmittal slip (流转单): the originals that travel, one code each."""

    slip_number: Code
    case_number: Code
    matter: Line
    service_point: Line
    destination: Line
    handed_over_by: ShortLine
    created_at: datetime
    items: list[SlipItem] = Field(min_length=1, max_length=20)

    @field_validator("items")
    @classmethod
    def _unique_codes(cls, items: list[SlipItem]) -> list[SlipItem]:
        codes = [item.code for item in items]
        if len(set(codes)) != len(codes):
            raise ValueError("item codes must be unique")
        return items

    @property
    def qr_text(self) -> str:
        """What the slip's own QR code encodes."""
        return f"RVW-SLIP:{self.slip_number}:{self.case_number}"


class FormEntry(_Model):
    """A labelled value printed in the form's table."""

    label: ShortLine
    value: Annotated[str, Field(max_length=200), AfterValidator(_one_line)]


class SignatureSpec(_Model):
    """A named place for a signature, drawn as a labelled box after the form's text."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    label: ShortLine


class FormDocument(_Model):
    """A form page (or pages) for the resident to sign."""

    form_id: Code
    title: Line
    case_number: Code
    entries: list[FormEntry] = Field(default_factory=list, max_length=30)
    paragraphs: list[Paragraph] = Field(default_factory=list, max_length=60)
    signatures: list[SignatureSpec] = Field(min_length=1, max_length=6)
    dated: date | None = None

    @field_validator("signatures")
    @classmethod
    def _unique_names(cls, fields: list[SignatureSpec]) -> list[SignatureSpec]:
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            raise ValueError("signature field names must be unique")
        return fields
