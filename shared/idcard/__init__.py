"""Resident identity: ID numbers, the ID card text block and the record read from a card.

Pure Python, no device code: the kiosk's readers, the hub and the console all use it.
"""

from shared.idcard.codes import GENDERS, NATIONS, Gender, Nation
from shared.idcard.errors import REASON_CODES, CardDataError
from shared.idcard.numbers import (
    InvalidIdNumber,
    check_digit,
    check_id_number,
    is_valid_id_number,
    mask_id_number,
    normalize_id_number,
)
from shared.idcard.record import CardType, IdentityRecord, Source
from shared.idcard.textblock import (
    BLOCK_SIZE,
    build_appended_address,
    build_text_block,
    parse_text_block,
)

__all__ = [
    "BLOCK_SIZE",
    "GENDERS",
    "NATIONS",
    "REASON_CODES",
    "CardDataError",
    "CardType",
    "Gender",
    "IdentityRecord",
    "InvalidIdNumber",
    "Nation",
    "Source",
    "build_appended_address",
    "build_text_block",
    "check_digit",
    "check_id_number",
    "is_valid_id_number",
    "mask_id_number",
    "normalize_id_number",
    "parse_text_block",
]
