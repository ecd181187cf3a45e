"""The `pcsc` backend through a real pcscd with vpcd virtual cards, read with pyscard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from kiosk.devices.idcard import (
    CardRemoved,
    IdCardReaderConfig,
    InvalidCardData,
    NoReader,
    ReadTimeout,
    WrongCard,
    open_card_reader,
)
from kiosk.devices.idcard.pcsc import PcscReader
from kiosk.devices.idcard.simulated import load_residents
from shared.idcard import CardType, Source
from tests.support.pcsc_fixtures import wait_reader_empty
from tests.support.vpcd_cards import (
    READER_NAME,
    BankCard,
    SamReaderCard,
    SocialSecurityCard,
    VirtualCard,
)

RESIDENTS = load_residents()
LIMIT = 15.0


def social_card(**overrides: object) -> SocialSecurityCard:
    """李建国's social security card, with fields overridden."""
    fields: dict[str, object] = {
        "card_number": "SH0012345",
        "id_number": RESIDENTS[1].id_number,
        "name": RESIDENTS[1].name,
        "gender": "1",
        "birth": "19880725",
    }
    fields.update(overrides)
    return SocialSecurityCard(**fields)  # type: ignore[arg-type]


@pytest.fixture
def insert(pcscd: None) -> Iterator[Callable[[VirtualCard], VirtualCard]]:
    """Insert virtual cards; all are pulled and the reader is empty again after the test."""
    inserted: list[VirtualCard] = []

    def _insert(card: VirtualCard) -> VirtualCard:
        card.insert()
        inserted.append(card)
        return card

    yield _insert
    for card in inserted:
        card.remove()
    wait_reader_empty(READER_NAME)


async def make_reader(**config: object) -> PcscReader:
    reader = open_card_reader(
        IdCardReaderConfig(backend="pcsc", reader=READER_NAME, poll_interval=0.05, **config)  # type: ignore[arg-type]
    )
    assert isinstance(reader, PcscReader)
    await asyncio.wait_for(reader.open(), LIMIT)
    return reader


@pytest.fixture
async def reader(pcscd: None) -> AsyncIterator[PcscReader]:
    card_reader = await make_reader()
    yield card_reader
    await asyncio.wait_for(card_reader.close(), LIMIT)


async def test_reads_social_security_card(insert: Callable, reader: PcscReader) -> None:
    status = await asyncio.wait_for(reader.status(), LIMIT)
    assert status.connected and not status.card_present and status.reader_name == READER_NAME
    insert(social_card())
    record = await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
    assert record.source is Source.SOCIAL_SECURITY_CARD
    assert (record.name, record.id_number) == (RESIDENTS[1].name, RESIDENTS[1].id_number)
    assert record.birth_date == RESIDENTS[1].birth_date and record.card_number == "SH0012345"
    assert record.gender is not None and record.gender.name == "男"
    assert record.address is None and record.valid_to is None and record.photo is None
    assert record.card_type is CardType.RESIDENT


async def test_sam_reader_ffb0_blocks(insert: Callable, reader: PcscReader) -> None:
    insert(SamReaderCard(RESIDENTS[5]))
    record = await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
    assert record.source is Source.ID_CARD and record.card_type is CardType.FOREIGNER_2023
    assert record.english_name == RESIDENTS[5].english_name
    assert record.photo is not None and len(record.photo) == 1024


async def test_card_kept_is_read_once_and_removal_is_reported(
    insert: Callable, reader: PcscReader
) -> None:
    removed = asyncio.Event()
    reader.on_card_removed(removed.set)
    card = insert(SamReaderCard(RESIDENTS[0]))
    await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
    with pytest.raises(ReadTimeout):
        await asyncio.wait_for(reader.wait_for_card(0.8), LIMIT)
    assert not removed.is_set()
    card.remove()
    with pytest.raises(ReadTimeout):
        await asyncio.wait_for(reader.wait_for_card(1.5), LIMIT)
    assert removed.is_set()


async def test_sam_without_id_card_keeps_waiting(insert: Callable, reader: PcscReader) -> None:
    sam = insert(SamReaderCard(None))
    with pytest.raises(ReadTimeout):
        await asyncio.wait_for(reader.wait_for_card(1.0), LIMIT)
    assert sam.apdus >= 2  # it polled the SAM for an ID card more than once


async def test_card_removed_mid_read(insert: Callable, reader: PcscReader) -> None:
    card = social_card()
    card.remove_after = 3  # pulled after select DF, select EF05, read record
    insert(card)
    with pytest.raises(CardRemoved) as info:
        await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
    assert info.value.code == "idcard.error.card_removed"


async def test_wrong_card(insert: Callable, reader: PcscReader) -> None:
    insert(BankCard())
    with pytest.raises(WrongCard) as info:
        await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
    assert info.value.code == "idcard.error.wrong_card"
    # The same wrong card is not reported again while it stays.
    with pytest.raises(ReadTimeout):
        await asyncio.wait_for(reader.wait_for_card(0.5), LIMIT)


async def test_sam_mode_refuses_a_social_security_card(insert: Callable) -> None:
    sam_only = await make_reader(pcsc_mode="sam_ffb0")
    try:
        insert(social_card())
        with pytest.raises(WrongCard, match="not a SAM"):
            await asyncio.wait_for(sam_only.wait_for_card(5), LIMIT)
    finally:
        await sam_only.close()


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"id_number": RESIDENTS[1].id_number[:17] + "0"}, "id_number", "check_digit"),
        ({"name_bytes": b"\xff\xfe\xff"}, "name", "encoding"),
        ({"birth": "19880230"}, "birth_date", "date"),
        ({"birth": "19880726"}, "birth_date", "mismatch"),
    ],
    ids=["check_digit", "gbk", "date", "mismatch"],
)
async def test_bad_social_security_data(
    insert: Callable, reader: PcscReader, overrides: dict[str, object], field: str, reason: str
) -> None:
    insert(social_card(**overrides))
    with pytest.raises(InvalidCardData) as info:
        await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
    assert (info.value.error.field, info.value.reason) == (field, reason)


async def test_configured_reader_missing(pcscd: None) -> None:
    with pytest.raises(NoReader, match="no PC/SC reader matching") as info:
        await make_reader_named("Nonexistent Reader 99")
    assert info.value.code == "idcard.error.no_reader"


async def make_reader_named(name: str) -> PcscReader:
    reader = open_card_reader(IdCardReaderConfig(backend="pcsc", reader=name))
    assert isinstance(reader, PcscReader)
    try:
        await asyncio.wait_for(reader.open(), LIMIT)
    except BaseException:
        await reader.close()
        raise
    return reader
