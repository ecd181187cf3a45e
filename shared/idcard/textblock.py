"""The 256-byte text block of GA 490 cards (UCS-2LE), parsed into and built from records.

Layouts (offset/length in bytes) are those of docs/reference/DEVICES.md; the
card type is the character at byte 248. Parsing is all-or-nothing: every field is
decoded and checked, and the first problem raises CardDataError naming the field.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from shared.idcard.codes import GENDERS, NATIONS, Gender, Nation
from shared.idcard.errors import CardDataError
from shared.idcard.numbers import (
    InvalidIdNumber,
    birth_date_of,
    check_id_number,
    is_foreigner_2017,
)
from shared.idcard.record import CardType, IdentityRecord, Source

BLOCK_SIZE = 256
TYPE_OFFSET = 248
LONG_TERM = "长期"

# (field, offset, length) per card type.
_Layout = tuple[tuple[str, int, int], ...]
_RESIDENT: _Layout = (
    ("name", 0, 30),
    ("gender", 30, 2),
    ("nation", 32, 4),
    ("birth_date", 36, 16),
    ("address", 52, 70),
    ("id_number", 122, 36),
    ("authority", 158, 30),
    ("valid_from", 188, 16),
    ("valid_to", 204, 16),
)
_PERMIT: _Layout = (*_RESIDENT, ("pass_number", 220, 18), ("issue_count", 238, 4))
_FOREIGNER_2017: _Layout = (
    ("english_name", 0, 120),
    ("gender", 120, 2),
    ("id_number", 122, 30),
    ("nationality", 152, 6),
    ("name", 158, 30),
    ("valid_from", 188, 16),
    ("valid_to", 204, 16),
    ("birth_date", 220, 16),
    ("card_version", 236, 4),
    ("authority_code", 240, 8),
)
_FOREIGNER_2023: _Layout = (
    ("name", 0, 30),
    ("gender", 30, 2),
    ("renewal_count", 32, 4),
    ("birth_date", 36, 16),
    ("english_name_1", 52, 70),
    ("id_number", 122, 36),
    ("valid_from", 188, 16),
    ("valid_to", 204, 16),
    ("english_name_2", 220, 22),
    ("nationality", 242, 6),
)
LAYOUTS: dict[CardType, _Layout] = {
    CardType.RESIDENT: _RESIDENT,
    CardType.HMT_PERMIT: _PERMIT,
    CardType.FOREIGNER_2017: _FOREIGNER_2017,
    CardType.FOREIGNER_2023: _FOREIGNER_2023,
}


def decode_ucs2(field: str, raw: bytes) -> str:
    """Decode UCS-2LE, drop the space/NUL padding; CardDataError(field, "encoding") if not text."""
    if len(raw) % 2:
        raise CardDataError(field, "encoding", "odd number of bytes")
    try:
        text = raw.decode("utf-16-le")
    except UnicodeDecodeError as exc:
        raise CardDataError(field, "encoding", "lone surrogate") from exc
    text = text.rstrip(" \x00")
    for char in text:
        # UCS-2 has no surrogate pairs; control characters and noncharacters are not text.
        bad = unicodedata.category(char) in ("Cc", "Cs") or char in "\ufffe\uffff"
        if bad or ord(char) > 0xFFFF:
            raise CardDataError(field, "encoding", f"U+{ord(char):04X}")
    return text


def _date(field: str, text: str, *, long_term_ok: bool = False) -> date | None:
    if long_term_ok and text == LONG_TERM:
        return None
    if len(text) != 8 or not text.isascii() or not text.isdigit():
        raise CardDataError(field, "date", "YYYYMMDD expected")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError as exc:
        raise CardDataError(field, "date", "no such day") from exc


def _count(field: str, text: str) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise CardDataError(field, "format", "digits expected")
    return int(text)


def _required(fields: dict[str, str], name: str) -> str:
    if not fields[name]:
        raise CardDataError(name, "missing")
    return fields[name]


def _check_number(card_type: CardType, number: str, born: date, gender: str) -> None:
    if card_type is CardType.FOREIGNER_2017:
        if not is_foreigner_2017(number):
            raise CardDataError("id_number", "format", "3 letters and 12 digits expected")
        return
    try:
        check_id_number(number)
    except InvalidIdNumber as exc:
        raise CardDataError("id_number", exc.reason) from exc
    expected = {
        CardType.HMT_PERMIT: number[:2] in ("81", "82", "83"),
        CardType.FOREIGNER_2023: number[0] == "9",
        CardType.RESIDENT: number[0] != "9" and number[:2] not in ("81", "82", "83"),
    }[card_type]
    if not expected:
        raise CardDataError("id_number", "mismatch", f"not a {card_type.value} number")
    if birth_date_of(number) != born:
        raise CardDataError("birth_date", "mismatch", "differs from the ID number")
    # The 17th digit is odd for men and even for women (GB 11643).
    if gender in ("1", "2") and int(number[16]) % 2 != int(gender) % 2:
        raise CardDataError("gender", "mismatch", "differs from the ID number")


def parse_text_block(
    block: bytes, appended_address: bytes | None = None, photo: bytes | None = None
) -> IdentityRecord:
    """Parse a card's 256-byte text block (plus appended address and photo) into a record.

    Raises CardDataError naming the first field that is wrong; never returns a partial record.
    """
    if len(block) != BLOCK_SIZE:
        raise CardDataError("block", "block_length", f"{len(block)} bytes")
    type_char = decode_ucs2("card_type", block[TYPE_OFFSET : TYPE_OFFSET + 2]) or " "
    try:
        card_type = CardType.from_type_char(type_char)
    except ValueError as exc:
        raise CardDataError("card_type", "card_type", repr(type_char)) from exc
    fields = {
        name: decode_ucs2(name, block[offset : offset + length])
        for name, offset, length in LAYOUTS[card_type]
    }
    if card_type is CardType.FOREIGNER_2023:
        # The English name continues from part 1 into part 2 when it is longer than 35.
        part1, part2 = fields.pop("english_name_1"), fields.pop("english_name_2")
        if part2:
            part1 = block[52:122].decode("utf-16-le").replace("\x00", " ")
        fields["english_name"] = part1 + part2

    gender_code = _required(fields, "gender")
    if gender_code not in GENDERS:
        raise CardDataError("gender", "code", repr(gender_code))
    nation: Nation | None = None
    if card_type is CardType.RESIDENT or fields.get("nation"):
        nation_code = _required(fields, "nation")
        if nation_code not in NATIONS:
            raise CardDataError("nation", "code", repr(nation_code))
        nation = Nation.from_code(nation_code)
    born = _date("birth_date", _required(fields, "birth_date"))
    assert born is not None  # long_term_ok is False, so a date or an error
    valid_from = _date("valid_from", _required(fields, "valid_from"))
    valid_to = _date("valid_to", _required(fields, "valid_to"), long_term_ok=True)
    if valid_from and valid_to and valid_to < valid_from:
        raise CardDataError("valid_to", "validity")
    number = _required(fields, "id_number")
    _check_number(card_type, number, born, gender_code)

    english_name = fields.get("english_name") or None
    name = fields["name"] or english_name
    if not name:
        raise CardDataError("name", "missing")
    nationality = fields.get("nationality") or None
    if card_type in (CardType.FOREIGNER_2017, CardType.FOREIGNER_2023) and not (
        nationality and len(nationality) == 3 and nationality.isascii() and nationality.isalpha()
    ):
        raise CardDataError("nationality", "format", "3-letter country code expected")
    appended = decode_ucs2("appended_address", appended_address) if appended_address else ""
    return IdentityRecord(
        card_type=card_type,
        name=name,
        id_number=number,
        source=Source.ID_CARD,
        english_name=english_name,
        gender=Gender.from_code(gender_code),
        nation=nation,
        birth_date=born,
        address=fields.get("address") or None,
        authority=fields.get("authority") or None,
        valid_from=valid_from,
        valid_to=valid_to,
        pass_number=fields.get("pass_number") or None,
        issue_count=_count("issue_count", fields.get("issue_count", "")),
        nationality=nationality,
        card_version=fields.get("card_version") or None,
        authority_code=fields.get("authority_code") or None,
        renewal_count=_count("renewal_count", fields.get("renewal_count", "")),
        appended_address=appended or None,
        photo=photo,
    )


def _encode(field: str, text: str, length: int) -> bytes:
    raw = text.encode("utf-16-le")
    if len(raw) > length:
        raise ValueError(f"{field} does not fit in {length} bytes: {len(raw)}")
    return raw + " ".encode("utf-16-le") * ((length - len(raw)) // 2)


def _date_text(value: date | None, *, long_term: bool = False) -> str:
    if value is None:
        return LONG_TERM if long_term else ""
    return value.strftime("%Y%m%d")


def build_text_block(record: IdentityRecord) -> bytes:
    """The 256-byte text block for `record` (the inverse of `parse_text_block`).

    Used by simulators and tests. ValueError when a field does not fit its slot.
    """
    english = record.english_name or ""
    chinese = "" if record.name == record.english_name else record.name
    values = {
        "name": chinese if record.card_type.name.startswith("FOREIGNER") else record.name,
        "gender": record.gender.code if record.gender else "",
        "nation": record.nation.code if record.nation else "",
        "birth_date": _date_text(record.birth_date),
        "address": record.address or "",
        "id_number": record.id_number,
        "authority": record.authority or "",
        "valid_from": _date_text(record.valid_from),
        "valid_to": _date_text(record.valid_to, long_term=True),
        "pass_number": record.pass_number or "",
        "issue_count": "" if record.issue_count is None else f"{record.issue_count:02d}",
        "english_name": english,
        "english_name_1": english[:35],
        "english_name_2": english[35:],
        "nationality": record.nationality or "",
        "card_version": record.card_version or "",
        "authority_code": record.authority_code or "",
        "renewal_count": "" if record.renewal_count is None else f"{record.renewal_count:02d}",
    }
    block = bytearray(_encode("block", "", BLOCK_SIZE))
    for name, offset, length in LAYOUTS[record.card_type]:
        block[offset : offset + length] = _encode(name, values[name], length)
    block[TYPE_OFFSET : TYPE_OFFSET + 2] = record.card_type.type_char.encode("utf-16-le")
    return bytes(block)


def build_appended_address(address: str, length: int = 70) -> bytes:
    """The appended-address reply body (UCS-2LE, space padded) for simulators."""
    return _encode("appended_address", address, length)
