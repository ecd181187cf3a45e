"""The resident's start through a real hub: catalogue, offer, checklist, queue and call-back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from backoffice_console.hub.callbacks.models import CallbackRequest
from backoffice_console.hub.calls.models import Ticket
from kiosk.app import KioskController, KioskState
from kiosk.catalogue import CatalogueDesk, NoCatalogue, ServiceHours, UnknownMatter
from kiosk.devices.idcard import IdCardReaderConfig
from kiosk.start_flow import StartFlow, StartStep
from shared.hubclient import HubClient
from tests.support.hub_fixtures import WAIT, HubHarness
from tests.support.kiosk_fakes import FakePeer

PHONE = "13698765432"


async def _until(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def _ignore(_: Any) -> None:
    return None


async def test_start_flow_through_the_hub(
    hub: HubHarness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    state_dir = tmp_path / "state"
    credential = await hub.kiosk_credential("kiosk-start")
    controller: KioskController | None = None

    async def on_message(message: Any) -> None:
        if controller is not None:
            await controller.handle_message(message)

    async def on_connection(up: bool) -> None:
        if controller is not None:
            await controller.handle_connection(up)

    client = HubClient(hub.url, hub.ca, on_message, on_connection)
    controller = KioskController(
        client,
        credential=credential,
        peer_factory=FakePeer,
        state_dir=state_dir,
        idcard=IdCardReaderConfig(backend="simulated"),
    )
    down: set[str] = set()
    desk = CatalogueDesk(client, state_dir, lambda: down)
    changes: list[StartStep] = []
    flow = StartFlow(
        desk, controller.start_service, lambda: changes.append(flow.step), controller.idcard
    )
    try:
        await controller.start()
        await _until(lambda: controller.state == KioskState.IDLE)

        await asyncio.wait_for(flow.begin(), WAIT)
        assert flow.step == StartStep.CATEGORY and desk.catalogue is not None
        assert len(desk.lines()) == 11 and (state_dir / "catalogue.json").exists()
        # The fleet's route answers: a point without hour rules is open.
        assert flow.hours.known and flow.hours.open_now and not flow.hours.closed

        flow.choose_line("civil")
        assert flow.step == StartStep.MATTERS
        assert [o.matter.line for o in flow.shown_matters()] == ["civil"] * len(
            desk.matters_of("civil")
        )
        # An unknown matter code: a clear error, nothing chosen, still on the list.
        assert not flow.choose_matter("no.such.matter")
        assert flow.error == "error.unknown_matter" and flow.step == StartStep.MATTERS
        with pytest.raises(UnknownMatter):
            desk.offer("no.such.matter")

        # The health monitor says the printer failed: matters needing it are greyed.
        down.add("printer")
        offers = {o.matter.code: o for o in flow.shown_matters()}
        assert not offers["civil.dbsq"].available and offers["civil.hydj"].available
        assert not flow.choose_matter("civil.dbsq") and flow.error == "reason.printer"
        down.clear()

        # Search by pinyin initials from the letter keyboard; back returns to the categories.
        flow.back()
        flow.open_search()
        for letter in "DBSQ":
            flow.type_letter(letter)
        assert [o.matter.code for o in flow.shown_matters()] == ["civil.dbsq"]
        flow.clear_query()
        flow.type_letter("g")
        flow.type_letter("s")
        flow.type_letter("r")
        found = {o.matter.code: o for o in flow.shown_matters()}
        assert "hrss.gsrd" in found and not found["hrss.gsrd"].matter.remote
        assert not flow.choose_matter("hrss.gsrd") and flow.error == "reason.not_remote"

        # The matter page: checklist, assistance, a card read that keeps only the birth date.
        flow.back()
        flow.choose_line("civil")
        assert flow.choose_matter("civil.hydj") and flow.step == StartStep.MATTER
        flow.set_assistance(True)
        assert flow.card_feasible
        flow.read_card()
        await _until(lambda: controller.idcard.reader is not None)
        reader: Any = controller.idcard.reader  # the simulated reader
        reader.present(0)
        await _until(lambda: flow.card_message == "card.done")
        assert flow.birth_date == date(1956, 3, 12)
        assert controller.idcard.reports == 0  # nothing of the card went to the hub

        assert await asyncio.wait_for(flow.start(), WAIT)
        assert controller.state == KioskState.WAITING and flow.step == StartStep.HOME
        async with hub.hub.db.session() as s:
            ticket = await s.scalar(select(Ticket).order_by(Ticket.id.desc()))
        assert ticket is not None
        assert (ticket.matter, ticket.assistance, ticket.line) == ("civil.hydj", True, "civil")
        assert ticket.priority in ("elderly", "assistance")
        await controller.cancel_waiting()
        await _until(lambda: controller.state == KioskState.IDLE)

        # Outside service hours: a call-back request instead of the queue.
        await flow.begin()
        flow.choose_line("hrss")
        assert flow.choose_matter("hrss.ylzg")
        flow.hours = ServiceHours(open_now=False, known=True)
        flow.open_callback()
        assert flow.step == StartStep.CALLBACK
        for digit in "1234":
            flow.type_digit(digit)
        assert not flow.phone_valid()
        assert not await flow.submit_callback() and flow.error == "error.bad_phone"
        async with hub.hub.db.session() as s:
            assert (await s.scalar(select(CallbackRequest))) is None
        flow.clear_phone()
        for digit in PHONE:
            flow.type_digit(digit)
        assert flow.phone_valid() and flow.phone_shown() == "136****5432"
        flow.note = "下午方便"
        assert await asyncio.wait_for(flow.submit_callback(), WAIT)
        assert flow.step == StartStep.CALLBACK_DONE and flow.phone_masked == "136****5432"
        assert flow.phone == ""
        async with hub.hub.db.session() as s:
            stored = list(await s.scalars(select(CallbackRequest)))
        assert [c.matter_code for c in stored] == ["hrss.ylzg"]
        flow.home()
        assert flow.step == StartStep.HOME and flow.offer is None
    finally:
        await asyncio.wait_for(controller.shutdown(), WAIT)

    # Offline: a desk whose hub is unreachable works from the cache.
    dead = HubClient("https://127.0.0.1:9", hub.ca, _ignore)
    try:
        cached = CatalogueDesk(dead, state_dir)
        catalogue = await asyncio.wait_for(cached.refresh(), WAIT)
        assert cached.from_cache and catalogue.matter("civil.dbsq") is not None
        assert [m.code for m in cached.search("DBSQ")] == ["civil.dbsq"]
        hours = await asyncio.wait_for(cached.service_hours(), WAIT)
        assert hours.open_now and not hours.known
        with pytest.raises(NoCatalogue):
            await CatalogueDesk(dead, tmp_path / "empty").refresh()
    finally:
        await dead.close()
    assert PHONE not in caplog.text
