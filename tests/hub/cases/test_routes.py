"""Case records through a real hub: opened on take, pushes, checklist, outcome rules, notes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from backoffice_console.hub.cases.models import Case, CaseEvent, CaseMaterial
from backoffice_console.hub.catalogue.models import CatalogueVersion
from shared.catalogue.io import load_sample
from shared.hubclient import HubClient, HubRequestError
from shared.protocol import (
    DeviceCommand,
    DeviceProgress,
    IdentityReport,
    QueueJoin,
    Role,
    TicketTake,
)
from tests.hub.materials.test_routes import page_jpeg, upload
from tests.support.hub_fixtures import PASSWORD, WAIT, HubHarness, Peer
from tests.support.identity_samples import VALID_NUMBER, record

MATTER = "civil.dbsq"  # 低保申请 in the sample catalogue: id, hkb, income, bank, form


async def call(peer: Peer, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """An API call bounded by WAIT (DELETE with a JSON body too)."""
    if method == "GET":
        return await asyncio.wait_for(peer.client.get_json(path), WAIT)
    return await asyncio.wait_for(peer.client._call(method, path, json=body or {}), WAIT)


async def refused(peer: Peer, method: str, path: str, body: dict[str, Any] | None = None) -> str:
    with pytest.raises(HubRequestError) as err:
        await call(peer, method, path, body)
    return err.value.code


async def in_case(
    hub: HubHarness, officer_name: str = "o1", matter: str | None = MATTER
) -> tuple[Peer, Peer, str, Any, Any]:
    """Officer and kiosk in a session; returns the pushes each got when the case opened."""
    officer = await hub.officer(officer_name)
    kiosk = await hub.kiosk(f"K-{officer_name}")
    await asyncio.wait_for(kiosk.client.request(QueueJoin(matter=matter)), WAIT)
    ticket = (await kiosk.skip_to("queue.status")).ticket_id
    await asyncio.wait_for(officer.client.request(TicketTake(ticket_id=ticket)), WAIT)
    sid = (await kiosk.skip_to("session.started")).session_id
    await officer.skip_to("session.started")
    updated = await officer.skip_to("case.updated")
    status = await kiosk.skip_to("checklist.status")
    return officer, kiosk, sid, updated, status


async def supervisor(hub: HubHarness, name: str = "sup") -> AsyncIterator[Peer]:
    """A logged-in supervisor (HTTP only)."""
    await hub.user(name, Role.SUPERVISOR)
    peer = Peer(hub.url, hub.ca)
    hub.peers.append(peer)
    await asyncio.wait_for(peer.client.login_officer(name, PASSWORD), WAIT)
    yield peer


async def rows(hub: HubHarness, model: Any) -> int:
    async with hub.hub.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_take_opens_case_with_matter_version_and_pushes_checklist(hub: HubHarness) -> None:
    officer, _kiosk, sid, updated, status = await in_case(hub)
    case = await call(officer, "GET", f"/api/v1/sessions/{sid}/case")
    assert case["case_no"] == updated.case_no and updated.session_id == sid
    date, _, number = case["case_no"].partition("-")
    assert date.startswith("SL20") and len(date) == 10 and number.isdigit() and len(number) == 6
    assert case["matter_code"] == MATTER and case["matter_name"] == "低保申请"
    assert case["line_code"] == "civil" and case["state"] == "open"
    version_id = case["catalogue_version_id"]
    async with hub.hub.db.session() as s:
        current = await s.scalar(select(CatalogueVersion.id).where(CatalogueVersion.current))
    assert version_id == current and current is not None
    assert [i["code"] for i in case["items"]] == ["id", "hkb", "income", "bank", "form"]
    assert [e["kind"] for e in case["events"]] == ["opened"]
    assert [i.code for i in updated.items] == ["id", "hkb", "income", "bank", "form"]
    assert status.matter_name == "低保申请" and not any(i.done for i in status.items)
    assert "case" not in status.model_dump_json()  # the kiosk gets no case data
    # Second case: a different, increasing number; same case by number as by session.
    officer2, _, sid2, updated2, _ = await in_case(hub, "o2")
    assert updated2.case_no > updated.case_no
    by_no = await call(officer2, "GET", f"/api/v1/cases/{updated2.case_no}")
    assert by_no["session_id"] == sid2
    # Officers see only their own cases: another's is "no such case", and not listed.
    assert await refused(officer2, "GET", f"/api/v1/cases/{updated.case_no}") == "not_found"
    listed = await call(officer2, "GET", "/api/v1/cases")
    assert [c["case_no"] for c in listed] == [updated2.case_no]
    assert await refused(officer, "GET", "/api/v1/cases/SL20990101-999999") == "not_found"
    async for sup in supervisor(hub):
        everything = await call(sup, "GET", "/api/v1/cases")
        assert {c["case_no"] for c in everything} == {updated.case_no, updated2.case_no}
        assert await refused(sup, "GET", "/api/v1/cases?state=bogus") == "bad_message"


async def test_checklist_assignment_rules_and_pushes(hub: HubHarness) -> None:
    officer, kiosk, sid, updated, _ = await in_case(hub)
    case_no = updated.case_no
    page = (await upload(kiosk, sid, page_jpeg(1)))["material_id"]
    path = f"/api/v1/cases/{case_no}/checklist"
    done = await call(officer, "POST", path, {"kind": "page", "ref": str(page), "item_code": "hkb"})
    assert [i["pages"] for i in done["items"] if i["code"] == "hkb"] == [[str(page)]]
    pushed = await officer.skip_to("case.updated")
    assert [i.code for i in pushed.items if i.pages] == ["hkb"]
    status = await kiosk.skip_to("checklist.status")
    assert [i.code for i in status.items if i.done] == ["hkb"]

    # A page of another session cannot be assigned to this case.
    _, kiosk2, sid2, _, _ = await in_case(hub, "o2")
    other = (await upload(kiosk2, sid2, page_jpeg(2)))["material_id"]
    before = (await rows(hub, CaseMaterial), await rows(hub, CaseEvent))
    bad = [
        {"kind": "page", "ref": str(other), "item_code": "id"},
        {"kind": "page", "ref": str(page), "item_code": "passport"},  # not on the checklist
        {"kind": "page", "ref": "999999", "item_code": "id"},  # no such page
        {"kind": "page", "ref": "abc", "item_code": "id"},  # not a material id
        {"kind": "document", "ref": "nope", "item_code": "form"},  # no such document
        {"kind": "scan", "ref": str(page), "item_code": "id"},  # unknown kind
        {"kind": "page", "ref": str(page)},  # no item
    ]
    for body in bad:
        assert await refused(officer, "POST", path, body) == "bad_message", body
    assert (await rows(hub, CaseMaterial), await rows(hub, CaseEvent)) == before

    # Moving the page to another item, then taking it off; removing twice is not_found.
    await call(officer, "POST", path, {"kind": "page", "ref": str(page), "item_code": "income"})
    gone = await call(officer, "DELETE", path, {"kind": "page", "ref": str(page)})
    assert all(not i["pages"] for i in gone["items"])
    assert await refused(officer, "DELETE", path, {"kind": "page", "ref": str(page)}) == "not_found"
    status = await kiosk.skip_to("checklist.status")
    # The timeline also has what other areas did: page stored, retake asked, print done.
    retake = DeviceCommand(session_id=sid, command_id="c1", kind="page.capture",
                           params={"retake_of": page, "reason": "blurred"})  # fmt: skip
    await asyncio.wait_for(officer.client.request(retake), WAIT)
    # A report names a command the hub relayed: the print is asked for first.
    print_it = DeviceCommand(session_id=sid, command_id="p1", kind="print")
    await asyncio.wait_for(officer.client.request(print_it), WAIT)
    printed = DeviceProgress(session_id=sid, command_id="p1", kind="print", stage="done")
    await asyncio.wait_for(kiosk.client.request(printed), WAIT)
    events = (await call(officer, "GET", f"/api/v1/cases/{case_no}"))["events"]
    kinds = [e["kind"] for e in events]
    assert kinds.count("checklist.assigned") == 2 and kinds.count("checklist.removed") == 1
    assert kinds.count("page.added") == 1 and kinds[-2:] == ["page.rejected", "document.printed"]
    assert events[-2]["detail"] == {"material_id": str(page), "reason": "blurred"}


async def test_outcome_rules_approval_and_sealed_notes(hub: HubHarness) -> None:
    officer, _kiosk, _sid, updated, _ = await in_case(hub)
    case_no = updated.case_no
    outcome = f"/api/v1/cases/{case_no}/outcome"
    assert await refused(officer, "POST", outcome, {"state": "needs_more"}) == "bad_state"
    assert await refused(officer, "POST", outcome, {"state": "closed"}) == "bad_message"
    other, _, _, _, _ = await in_case(hub, "o2")
    assert await refused(other, "POST", outcome, {"state": "completed"}) == "not_found"
    assert (await call(officer, "GET", f"/api/v1/cases/{case_no}"))["state"] == "open"

    more = await call(officer, "POST", outcome, {"state": "needs_more", "reason": "缺户口簿"})
    assert more["state"] == "needs_more" and more["closed_at"] and more["outcome_reason"]
    reopened = await call(officer, "POST", outcome, {"state": "open"})
    assert reopened["state"] == "open" and reopened["closed_at"] is None
    accepted = await call(officer, "POST", outcome, {"state": "accepted"})
    assert accepted["approval_state"] == "pending"
    assert (await officer.skip_to("case.updated")).state == "needs_more"
    assert await refused(officer, "POST", outcome, {"state": "completed"}) == "bad_state"
    approval = f"/api/v1/cases/{case_no}/approval"
    assert await refused(officer, "POST", approval, {"approval": "approved"}) == "forbidden"

    secret = "居民电话13800138000"
    await call(officer, "POST", f"/api/v1/cases/{case_no}/notes", {"text": secret})
    async with hub.hub.db.session() as s:
        details = [str(e.detail) for e in await s.scalars(select(CaseEvent))]
    assert not any("13800138000" in d for d in details)  # sealed at rest
    case = await call(officer, "GET", f"/api/v1/cases/{case_no}")
    assert [e["detail"]["text"] for e in case["events"] if e["kind"] == "note"] == [secret]

    async for sup in supervisor(hub):
        assert await refused(sup, "POST", approval, {"approval": "rejected"}) == "bad_state"
        done = await call(sup, "POST", approval, {"approval": "approved"})
        assert done["approval_state"] == "approved" and done["state"] == "accepted"
        assert await refused(sup, "POST", approval, {"approval": "rejected", "reason": "x"}) == (
            "bad_state"
        )
    kinds = [e["kind"] for e in (await call(officer, "GET", f"/api/v1/cases/{case_no}"))["events"]]
    assert kinds == ["opened", "outcome", "reopened", "outcome", "note", "approval"]


async def test_identity_sets_digest_and_read_is_audited(hub: HubHarness) -> None:
    officer, kiosk, sid, _updated, _ = await in_case(hub)
    report = IdentityReport(session_id=sid, record=record().to_dict())
    await asyncio.wait_for(kiosk.client.request(report), WAIT)
    await officer.skip_to("identity.update")
    async with hub.hub.db.session() as s:
        case = (await s.scalars(select(Case))).one()
    assert case.last4_digest and VALID_NUMBER[-4:] not in case.last4_digest
    data = await call(officer, "GET", f"/api/v1/sessions/{sid}/case")
    assert data["identity"]["id_number"] == VALID_NUMBER[:6] + "********" + VALID_NUMBER[-4:]
    assert VALID_NUMBER not in str(data)
    actions = [e["action"] for e in await hub.hub.core.audit.entries(sid)]
    assert actions.count("case.identity.read") == 1
    assert "identity.read" in [e["kind"] for e in data["events"]]


async def test_catalogue_of_the_case_is_the_one_it_was_opened_under(hub: HubHarness) -> None:
    """A case keeps its version's checklist after an admin imports a new catalogue."""
    officer, _, sid, _updated, _ = await in_case(hub)
    sample = load_sample()
    changed = sample.model_copy(update={"version": "2026.12-test"})
    data = changed.model_dump(mode="json")
    for matter in data["matters"]:
        if matter["code"] == MATTER:
            matter["materials"] = matter["materials"][:1]
    await hub.user("adm", Role.ADMIN)
    admin = HubClient(hub.url, hub.ca, _ignore)
    try:
        await asyncio.wait_for(admin.login_officer("adm", PASSWORD), WAIT)
        body = json.dumps(data).encode()
        path = "/api/v1/catalogue/import?format=json"
        await asyncio.wait_for(admin.post_bytes(path, body, "application/json"), WAIT)
    finally:
        await admin.close()
    case = await call(officer, "GET", f"/api/v1/sessions/{sid}/case")
    assert len(case["items"]) == 5  # still the old version's checklist
    _, _, _, newer, _ = await in_case(hub, "o2")
    assert [i.code for i in newer.items] == ["id"]


async def _ignore(_: Any) -> None:
    return None
