"""Typed errors for card data, with reason codes the UI translates (`idcard.error.<code>`)."""

from __future__ import annotations

#: Every reason code a CardDataError or InvalidIdNumber can carry, with what it means.
#: The texts for people live in assets/i18n/common.<lang>.json under `idcard.error.<code>`.
REASON_CODES: dict[str, str] = {
    "length": "ID number has the wrong length",
    "characters": "ID number has characters that do not belong there",
    "region": "ID number starts with a region code that does not exist",
    "birth_date": "ID number holds an impossible or future birth date",
    "check_digit": "ID number check digit is wrong",
    "block_length": "text block is not 256 bytes",
    "encoding": "field is not valid UCS-2 text",
    "card_type": "card type character is unknown",
    "missing": "a required field is blank",
    "code": "gender or nation code is not in the table",
    "date": "a date field is not a real date",
    "format": "a field does not have its expected form",
    "mismatch": "fields contradict each other (number vs card type or birth date)",
    "validity": "the card's validity ends before it starts",
    "expired": "the card has expired",
    "name": "a typed name is blank, too long or has characters a name cannot have",
}


class CardDataError(ValueError):
    """Card data that cannot be trusted: `field` names where, `reason` (a REASON_CODES key) why."""

    def __init__(self, field: str, reason: str, detail: str = "") -> None:
        if reason not in REASON_CODES:
            raise ValueError(f"unknown card data reason {reason!r}")
        message = f"card data field {field!r}: {REASON_CODES[reason]}"
        super().__init__(message + (f" ({detail})" if detail else ""))
        self.field = field
        self.reason = reason

    @property
    def code(self) -> str:
        """The i18n key for this error: `idcard.error.<reason>`."""
        return f"idcard.error.{self.reason}"
