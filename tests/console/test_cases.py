"""The console's case desk against a real hub: read on start, pushes, assign, notes, outcome."""

from __future__ import annotations

import asyncio

import pytest

from backoffice_console.cases import CaseDesk, CaseView
from backoffice_console.model import ConsoleError
from tests.hub.cases.test_routes import in_case
from tests.hub.materials.test_routes import page_jpeg, upload
from tests.support.hub_fixtures import WAIT, HubHarness


async def test_desk_follows_the_case_and_changes_it(hub: HubHarness) -> None:
    officer, kiosk, sid, updated, _ = await in_case(hub)
    views: list[CaseView] = []
    desk = CaseDesk(lambda: officer.client, views.append)
    await asyncio.wait_for(desk.start(sid), WAIT)
    assert desk.view.case_no == updated.case_no and desk.view.matter_name == "低保申请"
    assert [e.kind for e in desk.view.timeline] == ["opened"]
    assert desk.handle(updated) and desk.view.case_no == updated.case_no

    page = (await upload(kiosk, sid, page_jpeg(5)))["material_id"]
    await asyncio.wait_for(desk.assign_page(page, "income"), WAIT)
    assert desk.view.item_of(str(page)) == "income"
    with pytest.raises(ConsoleError) as err:
        await asyncio.wait_for(desk.assign_page(page, "no-such-item"), WAIT)
    assert err.value.detail == "bad_message" and desk.view.error_key == "cases.error.refused"
    assert desk.view.item_of(str(page)) == "income"  # unchanged

    await asyncio.wait_for(desk.add_note("居民下午补交收入证明"), WAIT)
    with pytest.raises(ConsoleError):
        await desk.set_outcome("not_eligible", "  ")  # refused before asking the hub
    await asyncio.wait_for(desk.set_outcome("completed"), WAIT)
    assert desk.view.state == "completed"
    kinds = [e.kind for e in desk.view.timeline]
    assert kinds[-3:] == ["checklist.assigned", "note", "outcome"]
    assert desk.view.timeline[-2].text == "居民下午补交收入证明"
    with pytest.raises(ConsoleError) as err:
        await asyncio.wait_for(desk.set_outcome("accepted"), WAIT)
    assert err.value.detail == "bad_state"  # a completed case stays completed
    assert len(views) > 5
