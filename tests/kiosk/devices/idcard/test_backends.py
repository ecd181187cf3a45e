"""The manual and simulated backends, the reader factory and the `idcard` command."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from kiosk.devices.idcard import (
    IdCardReaderConfig,
    NoReader,
    ReadTimeout,
    open_card_reader,
)
from kiosk.devices.idcard.manual import ManualReader
from kiosk.devices.idcard.simulated import SimulatedReader, load_residents
from shared.idcard import CardDataError, CardType, InvalidIdNumber, Source
from tests.support.sam_simulator import SamSimulator

REPO = Path(__file__).resolve().parents[4]
RESIDENTS = load_residents()
LIMIT = 10.0


def test_demo_residents_cover_the_brief() -> None:
    assert {r.card_type for r in RESIDENTS} == set(CardType)
    assert sum(r.is_expired(date(2026, 1, 1)) for r in RESIDENTS) == 1


async def test_manual_entry_is_validated_before_it_is_accepted() -> None:
    reader = open_card_reader(IdCardReaderConfig(backend="manual"))
    assert isinstance(reader, ManualReader)
    await reader.open()
    with pytest.raises(InvalidIdNumber) as info:
        reader.submit("310104198807252454", "李建国")
    assert info.value.reason == "check_digit"
    with pytest.raises(InvalidIdNumber, match="length"):
        reader.submit("31010419880725245", "李建国")
    with pytest.raises(CardDataError) as name_error:
        reader.submit("310104198807252453", "  ")
    assert name_error.value.code == "idcard.error.name"
    with pytest.raises(CardDataError):
        reader.submit("310104198807252453", "李建国123")
    # Nothing invalid reached the reader.
    with pytest.raises(ReadTimeout):
        await asyncio.wait_for(reader.wait_for_card(0.05), LIMIT)
    typed = reader.submit(" 11010519491231002x ", " 张  三 ")
    record = await asyncio.wait_for(reader.wait_for_card(1), LIMIT)
    assert record == typed
    assert record.id_number == "11010519491231002X" and record.name == "张 三"
    assert record.source is Source.MANUAL and record.birth_date is not None
    assert record.birth_date.isoformat() == "1949-12-31" and record.gender is not None
    assert record.gender.code == "2"
    foreign = reader.submit("USA318005210015", "SMITH, JOHN")
    assert foreign.card_type is CardType.FOREIGNER_2017 and foreign.birth_date is None
    await reader.close()


async def test_simulated_reader_presents_each_card_once() -> None:
    reader = open_card_reader(IdCardReaderConfig(backend="simulated"))
    assert isinstance(reader, SimulatedReader)
    await reader.open()
    removed: list[int] = []
    reader.on_card_removed(lambda: removed.append(1))
    waiter = asyncio.create_task(reader.wait_for_card(5))
    await asyncio.sleep(0)  # the waiter is waiting before the card comes
    reader.present(3)
    record = await asyncio.wait_for(waiter, LIMIT)
    assert record.id_number == RESIDENTS[3].id_number and record.photo is not None
    reader.present(3)  # still the same card on the reader
    with pytest.raises(ReadTimeout):
        await asyncio.wait_for(reader.wait_for_card(0.05), LIMIT)
    reader.remove()
    assert removed == [1]
    reader.present(2)
    expired = await asyncio.wait_for(reader.wait_for_card(1), LIMIT)
    assert expired.masked()["expired"] is True
    assert (await reader.status()).card_present
    with pytest.raises(IndexError):
        reader.present(99)
    await reader.close()


async def test_simulated_reader_with_a_broken_residents_file(tmp_path: Path) -> None:
    broken = tmp_path / "residents.json"
    broken.write_text('{"residents": [{"card_type": "resident"}]}', encoding="utf-8")
    reader = open_card_reader(IdCardReaderConfig(backend="simulated", residents_file=str(broken)))
    with pytest.raises(NoReader, match="cannot load residents"):
        await reader.open()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.devices", "idcard", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_reads_a_card_over_serial_and_masks_the_number() -> None:
    sim = SamSimulator()
    try:
        sim.present(RESIDENTS[1])
        result = run_cli("read", "--backend", "sam-serial", "--port", sim.path, "--timeout", "5")
    finally:
        sim.close()
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["id_number"] == "310104********2453" and shown["name"] == "李建国"
    assert RESIDENTS[1].id_number not in result.stdout + result.stderr
    assert "photo" not in shown and "address" not in shown


def test_cli_status_and_errors() -> None:
    sim = SamSimulator()
    try:
        status = run_cli("status", "--backend", "sam-serial", "--port", sim.path)
    finally:
        sim.close()
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["sam_id"] == "05.01-20101214-0012345678-0987654321"
    missing = run_cli("read", "--backend", "sam-serial", "--port", "/dev/vw-none", "--timeout", "1")
    assert missing.returncode == 1
    assert json.loads(missing.stdout)["error"] == "idcard.error.no_reader"
    demo = run_cli("read", "--backend", "simulated", "--present", "0", "--timeout", "1")
    assert demo.returncode == 0 and json.loads(demo.stdout)["long_term"] is True


async def test_reads_leave_no_full_number_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sim = SamSimulator()
    reader = open_card_reader(
        IdCardReaderConfig(backend="sam-serial", port=sim.path, io_timeout=0.2)
    )
    try:
        await asyncio.wait_for(reader.open(), LIMIT)
        sim.present(RESIDENTS[0])
        sim.fault("bad_checksum", "truncate")
        record = await asyncio.wait_for(reader.wait_for_card(5), LIMIT)
        logging.getLogger("test").info("read %s", record)
    finally:
        await reader.close()
        sim.close()
    assert caplog.records  # the faults were logged
    assert RESIDENTS[0].id_number not in caplog.text
