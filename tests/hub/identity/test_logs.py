"""Log hygiene: the session-end scan finds full ID numbers, and the identity flow logs none."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from pathlib import Path

import pytest

from shared.protocol import DeviceCommand, IdentityReport, QueueJoin, TicketTake
from tests.support.hub_fixtures import WAIT, HubHarness
from tests.support.identity_samples import OTHER_NUMBER, VALID_NUMBER, make_number, record
from tests.support.log_scan import find_leaks, known_numbers, log_files


def test_scan_finds_full_numbers_but_not_masked_ones() -> None:
    # Outside pytest's basetemp, which the session-end scan reads: these leaks are planted.
    with tempfile.TemporaryDirectory(prefix="vw-leak-test-") as folder:
        check_planted_leaks(Path(folder))


def check_planted_leaks(tmp_path: Path) -> None:
    started = time.time() - 1
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "hub.log").write_text(
        f"identity stored {VALID_NUMBER[:6]}********{VALID_NUMBER[-4:]}\n"
    )
    (logs / "kiosk.log.1").write_text(f"oops {OTHER_NUMBER}\n")
    stranger = make_number("350203", "19910704", "331")  # in no list: caught by its check digit
    (logs / "console.err").write_text(f"number={stranger}.\n")
    (logs / "timestamps.log").write_text("nanos 1732262400123456789 id 123456789012345678\n")
    (logs / "data.sqlite3").write_text(OTHER_NUMBER)  # not a log file
    files = sorted(log_files([logs, tmp_path / "missing"], started))
    assert [f.name for f in files] == ["console.err", "hub.log", "kiosk.log.1", "timestamps.log"]
    leaks = find_leaks(files, known_numbers())
    assert sorted((p.name, m) for p, m in leaks) == [
        ("console.err", stranger[:6] + "*" * 8 + stranger[-4:]),
        ("kiosk.log.1", OTHER_NUMBER[:6] + "*" * 8 + OTHER_NUMBER[-4:]),
    ]
    assert VALID_NUMBER in known_numbers() and len(known_numbers()) >= 5
    assert list(log_files([logs], time.time() + 60)) == []  # older files are not this run's


async def test_identity_flow_logs_no_full_number(
    hub: HubHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    officer = await hub.officer("o1")
    kiosk = await hub.kiosk("K")
    await asyncio.wait_for(kiosk.client.request(QueueJoin()), WAIT)
    ticket = (await kiosk.next("queue.status")).ticket_id
    await asyncio.wait_for(officer.client.request(TicketTake(ticket_id=ticket)), WAIT)
    sid = (await kiosk.next("session.started")).session_id
    command = DeviceCommand(session_id=sid, command_id="c1", kind="idcard.read")
    await asyncio.wait_for(officer.client.request(command), WAIT)
    good = IdentityReport(session_id=sid, command_id="c1", record=record().to_dict())
    await asyncio.wait_for(kiosk.client.request(good), WAIT)
    bad = record(OTHER_NUMBER[:17] + ("0" if OTHER_NUMBER[17] != "0" else "1")).to_dict()
    with pytest.raises(Exception, match="invalid identity"):
        await asyncio.wait_for(
            kiosk.client.request(IdentityReport(session_id=sid, record=bad)), WAIT
        )
    path = f"/api/v1/sessions/{sid}/identity/reveal"
    assert (await officer.client.post_json(path, {}))["id_number"] == VALID_NUMBER
    assert "identity" in caplog.text  # the flow was logged ...
    for number in (VALID_NUMBER, OTHER_NUMBER[:17]):
        assert number not in caplog.text  # ... without a full number
