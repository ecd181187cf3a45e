"""The kiosk's ID card desk against a real hub: commands, reads, failures, manual entry."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import func, select

from backoffice_console.hub.identity.models import StoredIdentity
from kiosk.devices.idcard import CardReader, IdCardReaderConfig, NoReader, ReaderStatus
from kiosk.devices.idcard.simulated import SimulatedReader
from kiosk.identity import IdCardDesk, Prompt
from shared.idcard import IdentityRecord
from shared.protocol import DeviceCommand, QueueJoin, TicketTake
from tests.support.hub_fixtures import WAIT, HubHarness, Peer
from tests.support.identity_samples import EXPIRED_NUMBER, OTHER_NUMBER, VALID_NUMBER, record

RESIDENTS = [
    record(),
    record(EXPIRED_NUMBER, "测试居民丙", valid_to=dt.date(2020, 1, 1)),
]


async def in_call(hub: HubHarness) -> tuple[Peer, Peer, str]:
    officer = await hub.officer("o1")
    kiosk = await hub.kiosk("K")
    await asyncio.wait_for(kiosk.client.request(QueueJoin()), WAIT)
    ticket = (await kiosk.next("queue.status")).ticket_id
    await asyncio.wait_for(officer.client.request(TicketTake(ticket_id=ticket)), WAIT)
    session_id = (await kiosk.next("session.started")).session_id
    await officer.skip_to("session.started")
    return officer, kiosk, session_id


class Desk:
    """An IdCardDesk on the kiosk's real hub client, counting its notifications."""

    def __init__(self, kiosk: Peer, reader: CardReader, backend: str = "simulated") -> None:
        self.changes = 0
        self.reader = reader
        config = IdCardReaderConfig(backend=backend)  # type: ignore[arg-type]
        self.desk = IdCardDesk(config, kiosk.client, self._changed, lambda _: reader)

    def _changed(self) -> None:
        self.changes += 1

    async def until(self, check: Any) -> None:
        async with asyncio.timeout(WAIT):
            while not check():  # noqa: ASYNC110 - the desk has no event to wait on
                await asyncio.sleep(0.01)


async def command(officer: Peer, kiosk: Peer, sid: str, cid: str, **params: Any) -> Any:
    message = DeviceCommand(session_id=sid, command_id=cid, kind="idcard.read", params=params)
    await asyncio.wait_for(officer.client.request(message), WAIT)
    return await kiosk.skip_to("device.command")


async def stored(hub: HubHarness) -> int:
    async with hub.hub.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(StoredIdentity)) or 0)


async def test_command_prompt_card_and_identity_reach_the_officer(hub: HubHarness) -> None:
    officer, kiosk, sid = await in_call(hub)
    reader = SimulatedReader(IdCardReaderConfig(), residents=RESIDENTS)
    d = Desk(kiosk, reader)
    d.desk.handle_command(sid, await command(officer, kiosk, sid, "c1"))
    assert d.desk.prompt is Prompt.CARD and d.changes >= 1
    assert (await officer.skip_to("device.progress")).stage == "waiting_for_card"
    await d.until(lambda: d.desk.reader is not None)
    reader.present(0)
    update = await officer.skip_to("identity.update")
    assert update.command_id == "c1" and update.masked_id.endswith(VALID_NUMBER[-4:])
    assert update.has_photo is True and update.expired is False
    await d.until(lambda: d.desk.prompt is Prompt.NONE)
    assert d.desk.message == ("kiosk", "idcard.done")
    assert d.desk.last_masked == VALID_NUMBER[:6] + "*" * 8 + VALID_NUMBER[-4:]
    assert VALID_NUMBER not in str(d.desk.message_args)

    # The helper's own read (no command): an expired card is sent, flagged, and the kiosk says so.
    d.desk.start_read(sid, None)
    reader.remove()
    reader.present(1)
    update = await officer.skip_to("identity.update")
    assert update.command_id is None and update.expired is True
    await d.until(lambda: d.desk.prompt is Prompt.NONE)
    assert d.desk.message == ("common", "idcard.error.expired")
    assert d.desk.reports == 2 and await stored(hub) == 2
    await d.desk.close()


async def test_timeout_cancel_and_no_reader_are_reported(hub: HubHarness) -> None:
    officer, kiosk, sid = await in_call(hub)
    reader = SimulatedReader(IdCardReaderConfig(), residents=RESIDENTS)
    d = Desk(kiosk, reader)
    d.desk.handle_command(sid, await command(officer, kiosk, sid, "t1", timeout_s=0.2))
    failed = await officer.skip_to("device.failed")
    assert (failed.command_id, failed.code.value, failed.reason) == ("t1", "timeout", "timeout")
    assert d.desk.prompt is Prompt.NONE and d.desk.message == ("common", "idcard.error.timeout")

    d.desk.handle_command(sid, await command(officer, kiosk, sid, "t2"))
    await officer.skip_to("device.progress")
    d.desk.cancel()
    failed = await officer.skip_to("device.failed")
    assert (failed.command_id, failed.code.value) == ("t2", "cancelled")
    assert d.desk.message == ("kiosk", "idcard.cancelled")

    # A newer command replaces one still waiting: the older one is reported cancelled.
    d.desk.handle_command(sid, await command(officer, kiosk, sid, "t3"))
    d.desk.handle_command(sid, await command(officer, kiosk, sid, "t4"))
    failed = await officer.skip_to("device.failed")
    assert (failed.command_id, failed.code.value) == ("t3", "cancelled")
    d.desk.session_over()
    await d.desk.close()

    class Missing(SimulatedReader):
        async def open(self) -> None:
            raise NoReader("no such port")

    gone = Desk(kiosk, Missing(IdCardReaderConfig()))
    gone.desk.handle_command(sid, await command(officer, kiosk, sid, "n1"))
    failed = await officer.skip_to("device.failed")
    assert (failed.command_id, failed.code.value) == ("n1", "no_reader")
    assert gone.desk.message == ("common", "idcard.error.no_reader")
    assert await stored(hub) == 0


class BadReader(CardReader):
    """A reader whose backend hands over a record with a wrong check digit (must not pass)."""

    def __init__(self, bad: IdentityRecord) -> None:
        super().__init__()
        self.bad = bad

    async def open(self) -> None:
        return None

    async def wait_for_card(self, timeout: float) -> IdentityRecord:
        return self.bad

    async def close(self) -> None:
        return None

    async def status(self) -> ReaderStatus:
        return ReaderStatus("bad", connected=True)


async def test_nothing_invalid_is_sent(hub: HubHarness) -> None:
    officer, kiosk, sid = await in_call(hub)
    wrong = VALID_NUMBER[:17] + ("0" if VALID_NUMBER[17] != "0" else "1")
    d = Desk(kiosk, BadReader(dataclasses.replace(record(), id_number=wrong)))
    d.desk.handle_command(sid, await command(officer, kiosk, sid, "b1"))
    failed = await officer.skip_to("device.failed")
    assert (failed.code.value, failed.reason) == ("invalid_card", "check_digit")
    assert d.desk.message == ("common", "idcard.error.check_digit")
    assert await stored(hub) == 0
    await d.desk.close()


WRONG_CHECK = VALID_NUMBER[:17] + ("0" if VALID_NUMBER[17] != "0" else "1")
MISTAKES = [
    (VALID_NUMBER[:17], "张三", "idcard.error.length"),
    (WRONG_CHECK, "张三", "idcard.error.check_digit"),
    ("310104195613410520", "张三", "idcard.error.birth_date"),
    ("31010419560317052A", "张三", "idcard.error.characters"),
    ("990104195603170520", "张三", "idcard.error.region"),
    (OTHER_NUMBER, "", "idcard.error.name"),
    (OTHER_NUMBER, "张三<script>", "idcard.error.name"),
]


async def test_manual_entry_explains_each_mistake_and_sends_nothing(hub: HubHarness) -> None:
    officer, kiosk, sid = await in_call(hub)
    d = Desk(kiosk, SimulatedReader(IdCardReaderConfig(), residents=RESIDENTS), "manual")
    d.desk.handle_command(sid, await command(officer, kiosk, sid, "m1"))
    assert d.desk.prompt is Prompt.MANUAL
    assert (await officer.skip_to("device.progress")).stage == "manual_entry"
    for number, name, problem in MISTAKES:
        assert await d.desk.submit_manual(number, name) == ("common", problem), number
        assert d.desk.prompt is Prompt.MANUAL  # still on the keypad
    assert await stored(hub) == 0
    await officer.quiet(0.1)

    # Then a correct entry (lower-case x accepted) goes through, answering the command.
    assert await d.desk.submit_manual(f" {OTHER_NUMBER.lower()} ", "王 小明") is None
    update = await officer.skip_to("identity.update")
    assert (update.command_id, update.source, update.name) == ("m1", "manual", "王 小明")
    assert update.masked_id == OTHER_NUMBER[:6] + "*" * 8 + OTHER_NUMBER[-4:]
    await d.desk.close()
