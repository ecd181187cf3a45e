"""What this project reads from cards over PC/SC (pure: APDUs in, records out).

Transport-free so the virtual cards in the tests and the backend share one definition.

Shanghai social security card (社保卡) - THIS PROJECT'S ASSUMPTION of the layout,
after the national social security card specification (records read as TLV, the
record number being the tag); verify against a real card before deployment:

- SELECT by name `00 A4 04 00 Lc "sx1.sh.社会保障"` (GBK). Any SW other than 90 00
  means this is not a Shanghai social security card (WrongCard).
- SELECT EF05 `00 A4 02 00 02 EF 05`; READ RECORD `00 B2 07 04 00` -> `07 L card number`
  (ASCII, 9 characters).
- SELECT EF06 `00 A4 02 00 02 EF 06`; READ RECORD 08 -> ID number (18 ASCII),
  09 -> name (30 bytes GBK, padded with 00 or 20), 0A -> gender (1 ASCII digit,
  GB/T 2261.1), 0D -> birth date (4 bytes BCD, YYYYMMDD).

SAM reader with a CCID interface, vendor pseudo-APDUs `FF B0 <block> 00 00`
(vendor-specific; this project's assumed map): block 00 = the 256-byte text block,
01-04 = the photo in four 256-byte parts, 05 = the appended address (SW 6A 82 when
there is none). SW 6F 00 on block 00 = the SAM sees no ID card on the reader;
6D 00 / 6E 00 = the device does not speak FF B0 (not a SAM reader).
"""

from __future__ import annotations

from datetime import date

from shared.idcard import CardDataError, CardType, Gender, IdentityRecord, Source, check_id_number
from shared.idcard.numbers import InvalidIdNumber, birth_date_of

SSC_APP_NAME = "sx1.sh.社会保障".encode("gbk")
EF_CARD = bytes.fromhex("EF05")
EF_HOLDER = bytes.fromhex("EF06")
REC_CARD_NUMBER = 0x07
REC_ID_NUMBER = 0x08
REC_NAME = 0x09
REC_GENDER = 0x0A
REC_BIRTH = 0x0D

SW_OK = 0x9000
SW_NOT_FOUND = 0x6A82
SW_NO_ID_CARD = 0x6F00
SW_INS_UNKNOWN = 0x6D00
SW_CLA_UNKNOWN = 0x6E00
SAM_TEXT_BLOCK = 0x00
SAM_PHOTO_BLOCKS = (0x01, 0x02, 0x03, 0x04)
SAM_APPENDED_BLOCK = 0x05


def select_by_name(name: bytes) -> bytes:
    """SELECT a DF by its name."""
    return bytes((0x00, 0xA4, 0x04, 0x00, len(name))) + name


def select_file(file_id: bytes) -> bytes:
    """SELECT an EF by its two-byte id."""
    return bytes((0x00, 0xA4, 0x02, 0x00, 0x02)) + file_id


def read_record(record: int) -> bytes:
    """READ RECORD `record` of the current EF."""
    return bytes((0x00, 0xB2, record, 0x04, 0x00))


def sam_block(block: int) -> bytes:
    """The vendor pseudo-APDU reading one block from a SAM reader."""
    return bytes((0xFF, 0xB0, block, 0x00, 0x00))


def tlv_value(record: int, data: bytes) -> bytes:
    """The value of a `tag length value` record whose tag is the record number."""
    if len(data) < 2 or data[0] != record or data[1] != len(data) - 2:
        raise CardDataError(f"record_{record:02x}", "format", "TLV with the record's tag expected")
    return data[2:]


def tlv(record: int, value: bytes) -> bytes:
    """A TLV record (for virtual cards)."""
    return bytes((record, len(value))) + value


def bcd_date(field: str, value: bytes) -> date:
    """A 4-byte BCD YYYYMMDD date."""
    digits = value.hex()
    if len(value) != 4 or not digits.isdigit():
        raise CardDataError(field, "date", "4 BCD bytes expected")
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError as exc:
        raise CardDataError(field, "date", "no such day") from exc


def social_security_record(
    card_number: bytes, id_number: bytes, name: bytes, gender: bytes, birth: bytes
) -> IdentityRecord:
    """Validate the values of a social security card's records into an IdentityRecord."""
    try:
        number = id_number.decode("ascii").strip()
        card_no = card_number.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise CardDataError("id_number", "encoding") from exc
    try:
        check_id_number(number)
    except InvalidIdNumber as exc:
        raise CardDataError("id_number", exc.reason) from exc
    try:
        holder = name.rstrip(b"\x00 ").decode("gbk").strip()
    except UnicodeDecodeError as exc:
        raise CardDataError("name", "encoding", "not GBK") from exc
    if not holder:
        raise CardDataError("name", "missing")
    gender_code = gender.decode("ascii", "replace").strip()
    try:
        sex = Gender.from_code(gender_code)
    except KeyError as exc:
        raise CardDataError("gender", "code", repr(gender_code)) from exc
    born = bcd_date("birth_date", birth)
    if birth_date_of(number) != born:
        raise CardDataError("birth_date", "mismatch", "differs from the ID number")
    if not card_no.isalnum():
        raise CardDataError("card_number", "format")
    return IdentityRecord(
        card_type=CardType.for_number(number),
        name=holder,
        id_number=number,
        source=Source.SOCIAL_SECURITY_CARD,
        gender=sex,
        birth_date=born,
        card_number=card_no,
    )
