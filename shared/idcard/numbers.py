"""Identity numbers: GB 11643 check digits, residence permits, foreigner cards, masking.

An 18-character number (resident ID card, the 81/82/83 residence permits and the
2023 foreigner card that starts with 9) has six digits of region (for the 2023
card: 9 + province + nationality), eight of birth date, three of sequence and a
ISO 7064 MOD 11-2 check character. The 2017 foreigner permanent residence number
is 3 letters + 12 digits and has no published check, so it is checked by pattern.
"""

from __future__ import annotations

import re
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"

#: Province-level codes (GB/T 2260) that start a resident ID number; 71 is Taiwan.
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35",
        "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65", "71",
    }
)  # fmt: skip
#: Residence permits for Hong Kong (81), Macao (82) and Taiwan (83) residents: 8x0000.
PERMIT_CODES = frozenset({"81", "82", "83"})

_EIGHTEEN = re.compile(r"\d{17}[\dX]")
_FOREIGNER_2017 = re.compile(r"[A-Z]{3}\d{12}")
_EARLIEST_BIRTH = date(1880, 1, 1)

#: Reason codes of InvalidIdNumber, in the order they are checked.
REASONS = ("length", "characters", "region", "birth_date", "check_digit")


class InvalidIdNumber(ValueError):
    """An ID number failed a check; `reason` is one of REASONS (a key the UI translates)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"invalid ID number: {reason}" + (f" ({detail})" if detail else ""))
        self.reason = reason

    @property
    def code(self) -> str:
        """The i18n key for this error: `idcard.error.<reason>`."""
        return f"idcard.error.{self.reason}"


def normalize_id_number(number: str) -> str:
    """Strip surrounding blanks and upper-case a typed number (a lower-case x is common)."""
    return number.strip().upper()


def check_digit(first17: str) -> str:
    """The MOD 11-2 check character for 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def is_foreigner_2017(number: str) -> bool:
    """True when `number` has the 2017 foreigner permanent residence form (3 letters + 12)."""
    return _FOREIGNER_2017.fullmatch(number) is not None


def birth_date_of(number: str) -> date | None:
    """The birth date encoded in an 18-character number, None if it is not a real date."""
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def check_id_number(number: str, today: date | None = None) -> None:
    """Raise InvalidIdNumber with a specific reason unless `number` is a valid ID number.

    Checks, in order: length (18, or 15 for the 2017 foreigner card), characters,
    region (province, 8x0000 for permits, 9 + province for the 2023 foreigner card),
    birth date (a real date, not before 1880, not after `today`) and check digit.
    """
    if len(number) == 15 and number[:3].isascii() and number[:3].isalpha():
        if not is_foreigner_2017(number):
            raise InvalidIdNumber("characters", "3 capital letters and 12 digits expected")
        return
    if len(number) != 18:
        raise InvalidIdNumber("length", f"{len(number)} characters")
    if not _EIGHTEEN.fullmatch(number):
        raise InvalidIdNumber("characters", "17 digits and a digit or X expected")
    if number[0] == "9":
        region_ok = number[1:3] in PROVINCE_CODES
    elif number[:2] in PERMIT_CODES:
        region_ok = number[2:6] == "0000"
    else:
        region_ok = number[:2] in PROVINCE_CODES
    if not region_ok:
        raise InvalidIdNumber("region")
    born = birth_date_of(number)
    if born is None or born < _EARLIEST_BIRTH or born > (today or date.today()):
        raise InvalidIdNumber("birth_date")
    if check_digit(number[:17]) != number[17]:
        raise InvalidIdNumber("check_digit")


def is_valid_id_number(number: str) -> bool:
    """True when `number` passes every check of `check_id_number`."""
    try:
        check_id_number(number)
    except InvalidIdNumber:
        return False
    return True


def mask_id_number(number: str) -> str:
    """The number with only the first 6 and last 4 characters visible, `*` between."""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
