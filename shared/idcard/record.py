"""The identity read from a card (or typed), with what may be shown and how it is stored."""

from __future__ import annotations

import base64
import dataclasses
import json
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from shared.idcard.codes import Gender, Nation
from shared.idcard.errors import CardDataError
from shared.idcard.numbers import is_foreigner_2017, mask_id_number


class CardType(StrEnum):
    """The kind of card; `type_char` is the character at byte 248 of the text block."""

    RESIDENT = "resident"
    HMT_PERMIT = "hmt_permit"
    FOREIGNER_2017 = "foreigner_2017"
    FOREIGNER_2023 = "foreigner_2023"

    @property
    def type_char(self) -> str:
        """The card type character in the text block (blank for a resident card)."""
        return _TYPE_CHARS[self]

    @classmethod
    def from_type_char(cls, char: str) -> CardType:
        """The card type for a type character; ValueError for an unknown one."""
        for card_type, type_char in _TYPE_CHARS.items():
            if char == type_char:
                return card_type
        raise ValueError(f"unknown card type character {char!r}")

    @classmethod
    def for_number(cls, number: str) -> CardType:
        """The card type that a valid ID number belongs to (for typed numbers)."""
        if is_foreigner_2017(number):
            return cls.FOREIGNER_2017
        if number.startswith("9"):
            return cls.FOREIGNER_2023
        if number[:2] in ("81", "82", "83"):
            return cls.HMT_PERMIT
        return cls.RESIDENT


_TYPE_CHARS = {
    CardType.RESIDENT: " ",
    CardType.HMT_PERMIT: "J",
    CardType.FOREIGNER_2017: "I",
    CardType.FOREIGNER_2023: "Y",
}


class Source(StrEnum):
    """Where an identity came from."""

    ID_CARD = "id_card"
    SOCIAL_SECURITY_CARD = "social_security_card"
    MANUAL = "manual"


@dataclass(frozen=True)
class IdentityRecord:
    """One person's identity as the card holds it.

    A resident card fills every common field; other sources fill what they hold
    (a social security card: name, ID number, birth date, card number; a typed
    entry: number and name) and leave the rest None. `valid_to` None with
    `valid_from` set means 长期 (no expiry). `photo` is the card's opaque wlt bytes.
    """

    card_type: CardType
    name: str
    id_number: str
    source: Source = Source.ID_CARD
    english_name: str | None = None
    gender: Gender | None = None
    nation: Nation | None = None
    birth_date: date | None = None
    address: str | None = None
    authority: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    # Type-specific fields.
    pass_number: str | None = None  # J: the Hong Kong/Macao/Taiwan travel permit number
    issue_count: int | None = None  # J: how many times the permit was issued
    nationality: str | None = None  # I and Y: ISO 3166 alpha-3 country code
    card_version: str | None = None  # I: card version
    authority_code: str | None = None  # I: issuing authority code
    renewal_count: int | None = None  # Y: renewal count
    card_number: str | None = None  # social security card: the card's own number
    appended_address: str | None = None
    photo: bytes | None = None

    def age(self, on: date) -> int:
        """Age in whole years on `on`; ValueError when the birth date is unknown."""
        if self.birth_date is None:
            raise ValueError("birth date unknown")
        born = self.birth_date
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))

    def is_expired(self, on: date) -> bool:
        """True when the card's validity ended before `on` (never for 长期 or unknown)."""
        return self.valid_to is not None and on > self.valid_to

    def check_valid_on(self, on: date) -> None:
        """Raise CardDataError("valid_to", "expired") when the card has expired on `on`."""
        if self.is_expired(on):
            raise CardDataError("valid_to", "expired", f"valid until {self.valid_to}")

    @property
    def masked_id_number(self) -> str:
        """The ID number with only the first 6 and last 4 characters visible."""
        return mask_id_number(self.id_number)

    def masked(self, on: date | None = None) -> dict[str, Any]:
        """What may be shown on screen and written to logs: no full number, address or photo.

        `age` and `expired` are computed on `on` (today by default).
        """
        today = on or date.today()
        return {
            "source": self.source.value,
            "card_type": self.card_type.value,
            "name": self.name,
            "english_name": self.english_name,
            "id_number": self.masked_id_number,
            "gender": self.gender.code if self.gender else None,
            "gender_name": self.gender.name if self.gender else None,
            "nation": self.nation.name if self.nation else None,
            "age": self.age(today) if self.birth_date else None,
            "valid_from": _iso(self.valid_from),
            "valid_to": _iso(self.valid_to),
            "long_term": self.valid_from is not None and self.valid_to is None,
            "expired": self.is_expired(today),
            "has_photo": self.photo is not None,
        }

    def to_dict(self) -> dict[str, Any]:
        """Every field as JSON-compatible values (the full record: handle as sensitive)."""
        out: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, Gender | Nation):
                value = value.code
            elif isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, bytes):
                value = base64.b64encode(value).decode("ascii")
            elif isinstance(value, StrEnum):
                value = value.value
            out[field.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IdentityRecord:
        """The inverse of `to_dict`; ValueError/KeyError on unknown fields or codes."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown identity fields: {sorted(unknown)}")
        values = dict(data)
        values["card_type"] = CardType(values["card_type"])
        values["source"] = Source(values.get("source", Source.ID_CARD.value))
        if values.get("gender") is not None:
            values["gender"] = Gender.from_code(values["gender"])
        if values.get("nation") is not None:
            values["nation"] = Nation.from_code(values["nation"])
        for key in ("birth_date", "valid_from", "valid_to"):
            if values.get(key) is not None:
                values[key] = date.fromisoformat(values[key])
        if values.get("photo") is not None:
            values["photo"] = base64.b64decode(values["photo"], validate=True)
        return cls(**values)

    def to_json(self) -> str:
        """The full record as JSON (for encrypted storage by the hub, never for logs)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> IdentityRecord:
        """The inverse of `to_json`."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("an identity record is a JSON object")
        return cls.from_dict(data)

    def __repr__(self) -> str:
        # The default repr would put the full number, address and photo into any log line
        # or traceback that formats a record.
        return (
            f"IdentityRecord(card_type={self.card_type.value}, source={self.source.value}, "
            f"id_number={self.masked_id_number})"
        )

    __str__ = __repr__


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
