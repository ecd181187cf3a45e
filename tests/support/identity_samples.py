"""Fictional identities for the identity tests (valid check digits, made up names)."""

from __future__ import annotations

import datetime as dt

from shared.idcard.codes import Gender, Nation
from shared.idcard.numbers import check_digit
from shared.idcard.record import CardType, IdentityRecord, Source


def make_number(region: str, birth: str, seq: str) -> str:
    """A valid 18-character ID number from its parts."""
    first17 = region + birth + seq
    return first17 + check_digit(first17)


VALID_NUMBER = make_number("310104", "19560317", "052")
OTHER_NUMBER = make_number("110105", "19491231", "002")
EXPIRED_NUMBER = make_number("440305", "19800101", "013")

TEST_NUMBERS = (VALID_NUMBER, OTHER_NUMBER, EXPIRED_NUMBER)
"""Full numbers the tests use: the log scan in conftest looks for these too."""


def record(
    number: str = VALID_NUMBER,
    name: str = "测试居民甲",
    valid_to: dt.date | None = dt.date(2036, 5, 1),
    photo: bytes | None = b"WLT" + bytes(range(256)) * 3,
) -> IdentityRecord:
    """A resident card record."""
    born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return IdentityRecord(
        card_type=CardType.RESIDENT,
        name=name,
        id_number=number,
        source=Source.ID_CARD,
        gender=Gender.from_code("1" if int(number[16]) % 2 else "2"),  # GB 11643: odd = male
        nation=Nation.from_code("01"),
        birth_date=born,
        address="上海市徐汇区测试路1号",
        authority="上海市公安局徐汇分局",
        valid_from=dt.date(2016, 5, 1),
        valid_to=valid_to,
        photo=photo,
    )
