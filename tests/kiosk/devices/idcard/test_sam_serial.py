"""The `sam-serial` backend against a GA/T 467 SAM simulated on a real pty pair."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator

import pytest

from kiosk.devices.idcard import (
    CardRemoved,
    IdCardReaderConfig,
    InvalidCardData,
    NoReader,
    ReadFailed,
    ReadTimeout,
    gat467,
    open_card_reader,
)
from kiosk.devices.idcard.sam_serial import SamSerialReader
from kiosk.devices.idcard.simulated import load_residents
from shared.idcard import build_text_block
from tests.support.sam_simulator import SamSimulator, photo_for

RESIDENTS = load_residents()
LIMIT = 10.0  # bound on every await


@pytest.fixture
def sim() -> Iterator[SamSimulator]:
    simulator = SamSimulator()
    yield simulator
    simulator.close()


@pytest.fixture
async def reader(sim: SamSimulator) -> AsyncIterator[SamSerialReader]:
    config = IdCardReaderConfig(
        backend="sam-serial", port=sim.path, io_timeout=0.3, poll_interval=0.02, dedup_seconds=5
    )
    card_reader = open_card_reader(config)
    assert isinstance(card_reader, SamSerialReader)
    await asyncio.wait_for(card_reader.open(), LIMIT)
    yield card_reader
    await asyncio.wait_for(card_reader.close(), LIMIT)


def test_frame_codec_examples() -> None:
    # The check byte is the XOR of LEN through data: 00 03 20 01 -> 22.
    assert gat467.encode_command(0x20, 0x01) == bytes.fromhex(
        "AAAAAA9669000320 0122".replace(" ", "")
    )
    frames = gat467.FrameReader(head_size=3)
    frames.feed(b"noise" + gat467.encode_reply(0x9F) + gat467.encode_reply(0x90, b"ab"))
    first, second = frames.next_frame(), frames.next_frame()
    assert first is not None and first.head == b"\x00\x00\x9f"
    assert second is not None and second.data == b"ab"
    assert frames.next_frame() is None and frames.skipped == 5


@pytest.mark.parametrize(
    "index", range(len(RESIDENTS)), ids=lambda i: RESIDENTS[i].card_type.value + str(i)
)
async def test_reads_every_card_type(
    sim: SamSimulator, reader: SamSerialReader, index: int
) -> None:
    expected = RESIDENTS[index]
    sim.present(expected)
    record = await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
    assert record == dataclasses.replace(expected, photo=photo_for(expected))
    assert record.photo is not None and len(record.photo) == 1024


async def test_status_reports_sam_id(reader: SamSerialReader) -> None:
    status = await asyncio.wait_for(reader.status(), LIMIT)
    assert status.connected and status.sam_state == "ok"
    assert status.sam_id == "05.01-20101214-0012345678-0987654321"


async def test_appended_address_is_read(sim: SamSimulator, reader: SamSerialReader) -> None:
    moved = dataclasses.replace(RESIDENTS[1], appended_address="上海市徐汇区迁入路7号")
    sim.present(moved)
    record = await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
    assert record.appended_address == "上海市徐汇区迁入路7号"
    assert gat467.READ_APPENDED_ADDRESS in sim.commands


async def test_no_card_times_out(sim: SamSimulator, reader: SamSerialReader) -> None:
    with pytest.raises(ReadTimeout) as info:
        await asyncio.wait_for(reader.wait_for_card(0.3), LIMIT)
    assert info.value.code == "idcard.error.timeout"
    assert sim.commands.count(gat467.FIND_CARD) >= 3  # it kept polling


async def test_card_kept_on_reader_is_read_once(sim: SamSimulator, reader: SamSerialReader) -> None:
    removed: list[int] = []
    reader.on_card_removed(lambda: removed.append(1))
    sim.present(RESIDENTS[0])
    await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
    with pytest.raises(ReadTimeout):
        await asyncio.wait_for(reader.wait_for_card(0.5), LIMIT)
    assert sim.reads >= 2  # the SAM read it again, the reader did not return it again
    assert removed == []
    sim.remove()
    with pytest.raises(ReadTimeout):
        await asyncio.wait_for(reader.wait_for_card(0.2), LIMIT)
    assert removed == [1]
    sim.present(RESIDENTS[0])  # put back after leaving: a new read
    again = await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
    assert again.id_number == RESIDENTS[0].id_number


async def test_another_card_swapped_in_is_read(sim: SamSimulator, reader: SamSerialReader) -> None:
    sim.present(RESIDENTS[0])
    await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
    sim.present(RESIDENTS[1])
    record = await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
    assert record.id_number == RESIDENTS[1].id_number


@pytest.mark.parametrize("fault", ["bad_checksum", "truncate", "garbage_before", "silence"])
async def test_recovers_from_line_faults(
    sim: SamSimulator, reader: SamSerialReader, fault: str
) -> None:
    sim.present(RESIDENTS[3])
    sim.fault(fault, fault)  # the find reply and the select reply are both spoiled
    record = await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
    assert record.id_number == RESIDENTS[3].id_number
    if fault == "garbage_before":
        assert reader.skipped_bytes >= 2 * 13 and reader.retried == 0
    else:
        assert reader.retried == 2


async def test_corrupt_read_reply_is_retried(sim: SamSimulator, reader: SamSerialReader) -> None:
    sim.present(RESIDENTS[5])
    sim.fault("garbage_before", "garbage_before", "bad_checksum")  # third reply: the 30 01 read
    record = await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
    assert record.english_name == RESIDENTS[5].english_name
    assert reader.retried == 1


async def test_persistent_corruption_fails_clearly(
    sim: SamSimulator, reader: SamSerialReader
) -> None:
    sim.present(RESIDENTS[0])
    sim.fault(*["bad_checksum"] * 4)  # 1 try + 3 retries
    with pytest.raises(ReadFailed, match="no valid reply"):
        await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
    # The line recovers: the next wait reads the card.
    record = await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
    assert record.id_number == RESIDENTS[0].id_number


async def test_card_removed_mid_read(sim: SamSimulator, reader: SamSerialReader) -> None:
    sim.present(RESIDENTS[1])
    sim.fault("remove_before_read")
    with pytest.raises(CardRemoved) as info:
        await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
    assert info.value.code == "idcard.error.card_removed"


@pytest.mark.parametrize(
    ("spoil", "field", "reason"),
    [
        (lambda b: b[:248] + "Q".encode("utf-16-le") + b[250:], "card_type", "card_type"),
        (lambda b: b[:156] + "4".encode("utf-16-le") + b[158:], "id_number", "check_digit"),
        (lambda b: b[:36] + "19880231".encode("utf-16-le") + b[52:], "birth_date", "date"),
        (lambda b: b[:2] + b"\x00\xd8" + b[4:], "name", "encoding"),
    ],
    ids=["type", "check_digit", "date", "ucs2"],
)
async def test_bad_card_data_is_a_typed_error(
    sim: SamSimulator, reader: SamSerialReader, spoil: object, field: str, reason: str
) -> None:
    assert callable(spoil)
    sim.present(block=spoil(build_text_block(RESIDENTS[1])))
    with pytest.raises(InvalidCardData) as info:
        await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
    assert (info.value.error.field, info.value.reason) == (field, reason)
    assert info.value.code == f"idcard.error.{reason}"


async def test_expired_card_is_read_and_flagged(sim: SamSimulator, reader: SamSerialReader) -> None:
    sim.present(RESIDENTS[2])
    record = await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
    assert record.masked()["expired"] is True


async def test_missing_port_is_no_reader() -> None:
    bad = open_card_reader(IdCardReaderConfig(backend="sam-serial", port="/dev/vw-no-such-tty"))
    with pytest.raises(NoReader) as info:
        await asyncio.wait_for(bad.open(), LIMIT)
    assert info.value.code == "idcard.error.no_reader"


async def test_silent_port_is_no_reader(sim: SamSimulator) -> None:
    sim.fault(*["silence"] * 4)
    silent = open_card_reader(
        IdCardReaderConfig(backend="sam-serial", port=sim.path, io_timeout=0.1, retries=3)
    )
    with pytest.raises(NoReader, match="no SAM"):
        await asyncio.wait_for(silent.open(), LIMIT)
