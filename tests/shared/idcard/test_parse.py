"""shared.idcard: ID numbers, code tables, the 256-byte text block and the record."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import pytest

from kiosk.devices.idcard.simulated import load_residents
from shared.i18n import _catalogue
from shared.idcard import (
    GENDERS,
    NATIONS,
    REASON_CODES,
    CardDataError,
    CardType,
    Gender,
    IdentityRecord,
    InvalidIdNumber,
    Nation,
    build_text_block,
    check_digit,
    check_id_number,
    is_valid_id_number,
    mask_id_number,
    normalize_id_number,
    parse_text_block,
)
from shared.idcard.textblock import TYPE_OFFSET

RESIDENTS = load_residents()
RESIDENT = RESIDENTS[1]


def put(block: bytes, offset: int, raw: bytes) -> bytes:
    """`block` with `raw` written at `offset`."""
    return block[:offset] + raw + block[offset + len(raw) :]


def ucs2(text: str, length: int) -> bytes:
    """Text as a space-padded UCS-2LE field."""
    raw = text.encode("utf-16-le")
    return (raw + " ".encode("utf-16-le") * length)[:length]


# --- ID numbers --------------------------------------------------------------------------


def test_reference_numbers_from_devices_md() -> None:
    assert is_valid_id_number("11010519491231002X")
    assert not is_valid_id_number("110105194912310021")


def test_check_digit_matches_iso7064_for_many_numbers() -> None:
    # Independent computation of ISO 7064 MOD 11-2: sum(d * 2^(17-i) mod 11), check = (12 - s) % 11.
    for seq in range(0, 1000, 37):
        first17 = f"31010119800101{seq:03d}"
        total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17)) % 11
        value = (12 - total) % 11
        expected = "X" if value == 10 else str(value)
        assert check_digit(first17) == expected
        assert is_valid_id_number(first17 + expected)
        wrong = "0" if expected != "0" else "1"
        assert not is_valid_id_number(first17 + wrong)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("11010519491231002", "length"),
        ("11010519491231002X1", "length"),
        ("", "length"),
        ("1101051949123100-X", "characters"),
        ("11010519491231002x", "characters"),
        ("X10105194912310021", "characters"),
        ("ABC12345678901X", "characters"),
        ("990105194912310021", "region"),
        ("001051949123100211", "region"),
        ("810105199001010012", "region"),
        ("110105194902300021", "birth_date"),
        ("110105213001010021", "birth_date"),
        ("110105187001010021", "birth_date"),
        ("110105194912310021", "check_digit"),
    ],
)
def test_check_id_number_gives_a_specific_reason(number: str, reason: str) -> None:
    with pytest.raises(InvalidIdNumber) as info:
        check_id_number(number)
    assert info.value.reason == reason
    assert info.value.code == f"idcard.error.{reason}"
    assert not is_valid_id_number(number)


def test_permits_and_foreigner_cards() -> None:
    hk = "81000019900214112" + check_digit("81000019900214112")
    tw = "83000019851003001" + check_digit("83000019851003001")
    y = "93127619850610002" + check_digit("93127619850610002")
    for number in (hk, tw, y, "USA318005210015"):
        check_id_number(number)
    assert not is_valid_id_number(y[:17] + ("0" if y[17] != "0" else "1"))
    assert not is_valid_id_number("US1318005210015")


def test_future_birth_date_depends_on_today() -> None:
    number = "11010520300101001" + check_digit("11010520300101001")
    with pytest.raises(InvalidIdNumber, match="birth_date"):
        check_id_number(number, today=date(2029, 12, 31))
    check_id_number(number, today=date(2030, 1, 2))


def test_mask_keeps_first_six_and_last_four() -> None:
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_id_number("USA318005210015") == "USA318*****0015"
    assert mask_id_number("12345") == "*****"
    # Ten characters would show whole as 6 + 4: hidden entirely; from eleven on, 6 + * + 4.
    assert mask_id_number("H123456789") == "**********"
    assert mask_id_number("H1234567890") == "H12345*7890"


def test_a_typed_number_is_trimmed_and_upper_cased() -> None:
    assert normalize_id_number(" 11010519491231002x\t") == "11010519491231002X"


# --- code tables ---------------------------------------------------------------------------


def test_code_tables_are_complete() -> None:
    assert len(NATIONS) == 58
    assert [int(c) for c in NATIONS][:56] == list(range(1, 57))
    assert NATIONS["01"] == "汉" and NATIONS["56"] == "基诺"
    assert set(NATIONS) - {f"{i:02d}" for i in range(1, 57)} == {"97", "98"}
    assert len(set(NATIONS.values())) == 58
    assert Nation.from_code("02").full_name == "蒙古族"
    assert Nation.from_code("98").full_name == "外国血统中国籍人士"
    assert set(GENDERS) == {"0", "1", "2", "9"}
    assert Gender.from_code("2").name == "女" and Gender.from_code("1").name_en == "male"


# --- text block ----------------------------------------------------------------------------


@pytest.mark.parametrize("record", RESIDENTS, ids=lambda r: r.card_type.value + "-" + r.name)
def test_every_demo_card_round_trips(record: IdentityRecord) -> None:
    block = build_text_block(record)
    assert len(block) == 256
    assert parse_text_block(block) == record


def test_four_card_types_and_their_fields() -> None:
    types = {r.card_type for r in RESIDENTS}
    assert types == set(CardType)
    by_type = {r.card_type: r for r in RESIDENTS}
    permit = parse_text_block(build_text_block(by_type[CardType.HMT_PERMIT]))
    assert permit.pass_number == "H12345678" and permit.issue_count == 1 and permit.nation is None
    i_card = parse_text_block(build_text_block(by_type[CardType.FOREIGNER_2017]))
    assert i_card.nationality == "USA" and i_card.english_name == "SMITH, JOHN"
    assert i_card.card_version == "17" and i_card.authority_code == "3100"
    y_card = parse_text_block(build_text_block(by_type[CardType.FOREIGNER_2023]))
    # 41 characters: spills from English name part 1 (35) into part 2.
    assert y_card.english_name == "MUELLER-SCHMIDT, ANNA KATHARINA ELISABETH"
    assert y_card.nationality == "DEU" and y_card.renewal_count == 0


def test_resident_fields_at_their_offsets() -> None:
    block = build_text_block(RESIDENT)
    assert block[0:30].decode("utf-16-le").rstrip() == "李建国"
    assert block[30:32].decode("utf-16-le") == "1"
    assert block[32:36].decode("utf-16-le") == "03"
    assert block[36:52].decode("utf-16-le") == "19880725"
    assert block[122:158].decode("utf-16-le") == RESIDENT.id_number
    assert block[204:220].decode("utf-16-le") == "20380910"
    long_term = build_text_block(RESIDENTS[0])
    assert long_term[204:208].decode("utf-16-le") == "长期"
    assert parse_text_block(long_term).valid_to is None


def test_appended_address_and_photo_kept() -> None:
    photo = bytes(range(256)) * 4
    record = parse_text_block(build_text_block(RESIDENT), ucs2("上海市徐汇区新地址9号", 70), photo)
    assert record.appended_address == "上海市徐汇区新地址9号"
    assert record.photo == photo


BAD_BLOCKS = [
    ("short block", lambda b: b[:255], "block", "block_length"),
    ("long block", lambda b: b + b"\x00\x00", "block", "block_length"),
    ("type byte Q", lambda b: put(b, TYPE_OFFSET, ucs2("Q", 2)), "card_type", "card_type"),
    ("lone surrogate", lambda b: put(b, 0, b"\x00\xd8"), "name", "encoding"),
    ("control char", lambda b: put(b, 52, "\x07".encode("utf-16-le")), "address", "encoding"),
    ("bad check digit", lambda b: put(b, 122 + 34, ucs2("4", 2)), "id_number", "check_digit"),
    ("Feb 30", lambda b: put(b, 36, ucs2("19880230", 16)), "birth_date", "date"),
    ("letters in date", lambda b: put(b, 188, ucs2("2018O910", 16)), "valid_from", "date"),
    ("unknown nation", lambda b: put(b, 32, ucs2("60", 4)), "nation", "code"),
    ("unknown gender", lambda b: put(b, 30, ucs2("5", 2)), "gender", "code"),
    ("blank name", lambda b: put(b, 0, ucs2("", 30)), "name", "missing"),
    ("blank number", lambda b: put(b, 122, ucs2("", 36)), "id_number", "missing"),
    ("to before from", lambda b: put(b, 204, ucs2("20100101", 16)), "valid_to", "validity"),
    ("birth differs", lambda b: put(b, 36, ucs2("19880726", 16)), "birth_date", "mismatch"),
    ("gender differs", lambda b: put(b, 30, ucs2("2", 2)), "gender", "mismatch"),
    (
        "permit number on J? no",
        lambda b: put(b, TYPE_OFFSET, ucs2("J", 2)),
        "id_number",
        "mismatch",
    ),
]


@pytest.mark.parametrize(
    ("label", "spoil", "field", "reason"), BAD_BLOCKS, ids=[b[0] for b in BAD_BLOCKS]
)
def test_malformed_block_names_the_field(label: str, spoil, field: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    block = spoil(build_text_block(RESIDENT))
    with pytest.raises(CardDataError) as info:
        parse_text_block(block)
    assert (info.value.field, info.value.reason) == (field, reason), label
    assert info.value.code == f"idcard.error.{reason}"


def test_non_ucs2_appended_address_is_refused() -> None:
    with pytest.raises(CardDataError) as info:
        parse_text_block(build_text_block(RESIDENT), b"\x00\xdc" + b" \x00" * 34)
    assert info.value.field == "appended_address"


def test_build_refuses_a_field_that_does_not_fit() -> None:
    too_long = dataclasses.replace(RESIDENT, name="很" * 16)
    with pytest.raises(ValueError, match="name"):
        build_text_block(too_long)


# --- record --------------------------------------------------------------------------------


def test_age_and_expiry() -> None:
    assert RESIDENT.age(date(2026, 7, 24)) == 37
    assert RESIDENT.age(date(2026, 7, 25)) == 38
    expired = RESIDENTS[2]
    assert expired.is_expired(date(2025, 7, 1)) and not expired.is_expired(date(2025, 6, 30))
    with pytest.raises(CardDataError) as info:
        expired.check_valid_on(date(2026, 1, 1))
    assert info.value.reason == "expired"
    RESIDENTS[0].check_valid_on(date(2099, 1, 1))  # 长期 never expires


def test_masked_view_holds_no_full_number_address_or_photo() -> None:
    record = dataclasses.replace(RESIDENT, photo=b"\x01" * 1024)
    view = record.masked(date(2026, 11, 22))
    text = json.dumps(view, ensure_ascii=False)
    assert RESIDENT.id_number not in text
    assert view["id_number"] == "310104********2453"
    assert "演示路" not in text and "photo" not in view
    assert view["age"] == 38 and view["expired"] is False and view["has_photo"] is True
    assert RESIDENT.id_number not in repr(record) and RESIDENT.id_number not in str(record)


@pytest.mark.parametrize("record", RESIDENTS, ids=lambda r: r.card_type.value)
def test_json_round_trip_is_the_full_record(record: IdentityRecord) -> None:
    full = dataclasses.replace(record, photo=bytes(range(256)) * 4, appended_address="新址")
    assert IdentityRecord.from_json(full.to_json()) == full


def test_from_json_refuses_unknown_fields_and_codes() -> None:
    data = json.loads(RESIDENT.to_json())
    with pytest.raises(ValueError, match="unknown"):
        IdentityRecord.from_dict({**data, "extra": 1})
    with pytest.raises(KeyError):
        IdentityRecord.from_dict({**data, "nation": "77"})
    with pytest.raises(ValueError):
        IdentityRecord.from_json("[1, 2]")


def test_every_reason_has_chinese_and_english_text() -> None:
    reader_reasons = {
        "no_reader",
        "no_card",
        "timeout",
        "card_removed",
        "read_failed",
        "wrong_card",
    }
    for lang in ("zh_CN", "en"):
        catalogue = _catalogue("common", lang)
        for reason in set(REASON_CODES) | reader_reasons:
            assert catalogue.get(f"idcard.error.{reason}"), (lang, reason)
