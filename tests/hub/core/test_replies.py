"""A real hub's answers validate with the `shared.protocol` models the console parses with.

Three walks through most routes: accounts, sessions and errors; a whole call; the fleet.
(Every hub the tests start also checks each reply against its declared model.)
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import aiohttp

from shared.catalogue.io import dump_json, load_sample
from shared.protocol import (
    IdentityReport,
    Role,
    SessionEnd,
    accounts,
    cases,
    catalogue,
    circulation,
    documents,
    fleet,
    health,
    identity,
    materials,
    rating,
    reports,
    routing,
    sessions,
)
from shared.protocol import callbacks as callback_models
from shared.protocol.http import ErrorBody, HubHealth, wire
from tests.support.hub_fixtures import PASSWORD, WAIT, HubHarness, Peer


async def _raw(
    hub: HubHarness,
    method: str,
    path: str,
    token: str | None = None,
    *,
    body: Any = None,
    data: bytes | None = None,
) -> tuple[int, Any]:
    """Status and JSON of one request, errors included."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=hub.ssl())) as session,
        session.request(method, f"{hub.url}{path}", json=body, data=data, headers=headers) as resp,
    ):
        return resp.status, await resp.json(content_type=None)


def _token(peer: Peer) -> str:
    token = peer.client._token  # the test's own client
    assert token is not None
    return token


async def _ok(call: Any) -> Any:
    return await asyncio.wait_for(call, WAIT * 3)


async def _logged_in(hub: HubHarness, username: str, role: Role) -> Peer:
    await hub.user(username, role)
    peer = Peer(hub.url, hub.ca)
    hub.peers.append(peer)
    await _ok(peer.client.login_officer(username, PASSWORD))
    return peer


async def test_a_real_hubs_answers_validate_accounts_sessions_and_errors(
    hub: HubHarness,
) -> None:
    health_reply = await _ok(Peer(hub.url, hub.ca).client.get_json("/api/v1/health"))
    assert HubHealth.model_validate(health_reply).ok
    await hub.user("o1", Role.OFFICER, name="王工")
    status, login = await _raw(
        hub, "POST", "/api/v1/auth/login", body={"username": "o1", "password": PASSWORD}
    )
    assert status == 200
    assert accounts.LoginReply.model_validate(login).user.role is Role.OFFICER
    code, _ = await hub.hub.accounts.create_enrollment_code("东湖社区", "一号机")
    status, enrolled = await _raw(
        hub, "POST", "/api/v1/devices/enroll", body={"code": code, "name": "一号机"}
    )
    assert status == 200
    credential = accounts.EnrollReply.model_validate(enrolled)
    status, token = await _raw(
        hub, "POST", "/api/v1/devices/token",
        body=wire(accounts.DeviceTokenBody(device_id=credential.device_id,
                                           secret=credential.secret)),
    )  # fmt: skip
    assert status == 200 and accounts.DeviceTokenReply.model_validate(token).token
    for method, path, tok, body, expected in [
        ("GET", "/api/v1/sessions", None, None, 401),
        ("POST", "/api/v1/auth/login", None, {"username": "o1"}, 400),
        ("GET", "/api/v1/cases/SL20990101-999999", login["token"], None, 404),
        ("GET", "/api/v1/audit", login["token"], None, 403),
        ("GET", "/api/v1/nowhere", login["token"], None, 404),
    ]:
        status, error = await _raw(hub, method, path, tok, body=body)
        assert status == expected
        ErrorBody.model_validate(error)


async def test_a_real_hubs_answers_validate_through_a_whole_call(hub: HubHarness) -> None:
    from tests.hub.cases.test_routes import in_case  # noqa: PLC0415
    from tests.hub.identity.test_routes import record  # noqa: PLC0415
    from tests.hub.materials.test_routes import page_jpeg, upload  # noqa: PLC0415

    officer, kiosk, sid, updated, _ = await in_case(hub)
    case_no = updated.case_no
    admin = await _logged_in(hub, "admin", Role.ADMIN)
    sup = await _logged_in(hub, "sup", Role.SUPERVISOR)
    get, post = officer.client.get_json, officer.client.post_json

    # Identity, masked and revealed.
    await _ok(kiosk.client.request(IdentityReport(session_id=sid, record=record().to_dict())))
    await officer.skip_to("identity.update")
    masked = identity.MaskedIdentity.model_validate(
        await _ok(get(f"/api/v1/sessions/{sid}/identity"))
    )
    assert "*" in masked.id_number
    revealed = await _ok(post(f"/api/v1/sessions/{sid}/identity/reveal", {}))
    assert "*" not in identity.RevealedIdentity.model_validate(revealed).id_number

    # Materials and the case.
    stored = materials.MaterialStored.model_validate(await upload(kiosk, sid, page_jpeg(1)))
    again = materials.MaterialStored.model_validate(await upload(kiosk, sid, page_jpeg(1)))
    assert again.duplicate and again.material_id == stored.material_id
    pages = materials.MaterialList.model_validate(
        await _ok(get(f"/api/v1/sessions/{sid}/materials"))
    )
    assert [p.material_id for p in pages.root] == [stored.material_id]
    detail = cases.CaseDetail.model_validate(await _ok(get(f"/api/v1/sessions/{sid}/case")))
    assert detail.case_no == case_no and detail.identity is not None
    path = f"/api/v1/cases/{case_no}"
    assign = cases.ChecklistBody(kind="page", ref=str(stored.material_id), item_code="hkb")
    summary = cases.CaseSummary.model_validate(await _ok(post(f"{path}/checklist", wire(assign))))
    assert [i.pages for i in summary.items if i.code == "hkb"] == [[str(stored.material_id)]]
    unassign = cases.ChecklistBody(kind="page", ref=str(stored.material_id))
    removed = await _ok(officer.client._call("DELETE", f"{path}/checklist", json=wire(unassign)))
    assert not any(i.pages for i in cases.CaseSummary.model_validate(removed).items)
    cases.CaseSummary.model_validate(
        await _ok(post(f"{path}/notes", wire(cases.NoteBody(text="补交"))))
    )
    detail = cases.CaseDetail.model_validate(await _ok(get(path)))
    assert [e.detail for e in detail.events if e.kind == "note"] == [{"text": "补交"}]
    cases.CaseList.model_validate(await _ok(get("/api/v1/cases")))
    cases.CaseList.model_validate(await _ok(sup.client.get_json("/api/v1/cases")))

    # Documents: a receipt, a slip (opens a circulation), a form the resident cannot sign.
    docs = f"/api/v1/sessions/{sid}/documents"
    receipt = documents.DocumentReply.model_validate(
        await _ok(post(docs, wire(documents.CreateBody(kind="receipt"))))
    )
    info = documents.DocumentDetail.model_validate(
        await _ok(get(f"/api/v1/documents/{receipt.document_id}"))
    )
    assert info.signature_fields == [] and info.status == "issued"
    documents.DocumentReply.model_validate(await _ok(post(docs, {"kind": "slip"})))
    form = documents.DocumentReply.model_validate(await _ok(post(docs, {"kind": "form"})))
    fields = documents.DocumentDetail.model_validate(
        await _ok(kiosk.client.get_json(f"/api/v1/documents/{form.document_id}"))
    ).signature_fields
    assert [f.name for f in fields] == ["applicant"]
    unsigned = await _ok(kiosk.client.post_json(
        f"/api/v1/documents/{form.document_id}/unsigned",
        wire(documents.UnsignedBody(reason="手部受伤")),
    ))  # fmt: skip
    assert documents.DocumentReply.model_validate(unsigned).status == "unsigned"
    second = documents.DocumentReply.model_validate(await _ok(post(docs, {"kind": "form"})))
    signature = documents.SignatureBody(strokes=[[(0.1, 0.2), (0.3, 0.4)]])
    signed = await _ok(kiosk.client.post_json(
        f"/api/v1/documents/{second.document_id}/signature", wire(signature)
    ))  # fmt: skip
    assert documents.DocumentReply.model_validate(signed).signed_at is not None

    # Routing.
    officers = routing.OfficerList.model_validate(await _ok(get("/api/v1/routing/officers")))
    assert [o.display_name for o in officers.root if o.online]
    routing.LineList.model_validate(await _ok(get("/api/v1/routing/lines")))
    routing.TransferTargets.model_validate(
        await _ok(get(f"/api/v1/routing/sessions/{sid}/targets"))
    )
    officer_id = next(o.id for o in officers.root if o.role == "officer")
    lines = routing.LinesBody(lines=["civil"])
    status, reply = await _raw(
        hub, "PUT", f"/api/v1/routing/officers/{officer_id}/lines", _token(admin), body=wire(lines)
    )
    assert status == 200 and routing.LinesReply.model_validate(reply).lines == ["civil"]

    # Sessions and the audit log.
    listed = sessions.SessionList.model_validate(await _ok(get("/api/v1/sessions")))
    assert [s.session_id for s in listed.root] == [sid]
    one = sessions.SessionRow.model_validate(await _ok(get(f"/api/v1/sessions/{sid}")))
    assert one.matter_name == "低保申请" and one.ended_at is None
    auditor = await _logged_in(hub, "auditor", Role.AUDITOR)
    audit = sessions.AuditPage.model_validate(await _ok(auditor.client.get_json("/api/v1/audit")))
    assert "identity.reveal" in {a.action for a in audit.entries}

    # Circulation: the kiosk scans the slip at its point; out of order is a 409 with details.
    circ = circulation.CirculationList.model_validate(await _ok(get("/api/v1/circulation")))
    code = circ.root[0].code
    scan = circulation.ScanBody(code=code, hop="at_point", note="到站")
    moved = await _ok(kiosk.client.post_json("/api/v1/circulation/scan", wire(scan)))
    assert circulation.Circulation.model_validate(moved).next == "with_courier"
    status, conflict = await _raw(
        hub, "POST", "/api/v1/circulation/scan", _token(officer),
        body=wire(circulation.ScanBody(code=code, hop="at_centre")),
    )  # fmt: skip
    assert status == 409
    assert circulation.CirculationConflict.model_validate(conflict).expected == "with_courier"
    one_circ = await _ok(get(f"/api/v1/circulation/{code}"))
    assert [h.hop for h in circulation.CirculationDetail.model_validate(one_circ).hops] == [
        "at_point"
    ]

    # The outcome, the approval, the resident's progress look-up at the kiosk.
    accepted = await _ok(post(f"{path}/outcome", wire(cases.OutcomeBody(state="accepted"))))
    assert cases.CaseSummary.model_validate(accepted).approval_state == "pending"
    approval = cases.ApprovalBody(approval="approved")
    approved = await _ok(sup.client.post_json(f"{path}/approval", wire(approval)))
    assert cases.CaseSummary.model_validate(approved).approval_state == "approved"
    last4 = record().id_number[-4:]
    ask = cases.ProgressBody(case_no=case_no, last4=last4)
    progress = cases.Progress.model_validate(
        await _ok(kiosk.client.post_json("/api/v1/progress", wire(ask)))
    )
    assert [o.state for o in progress.originals] == ["at_point"] and progress.timeline

    # Call-backs.
    create = callback_models.CallbackCreate(matter_code="civil.dbsq", phone="13812345678")
    created = callback_models.CallbackCreated.model_validate(
        await _ok(kiosk.client.post_json("/api/v1/callbacks", wire(create)))
    )
    callback_models.CallbacksReply.model_validate(await _ok(get("/api/v1/callbacks", state="all")))
    phone = await _ok(get(f"/api/v1/callbacks/{created.id}/phone"))
    assert callback_models.CallbackPhone.model_validate(phone).phone == "13812345678"
    done = await _ok(post(f"/api/v1/callbacks/{created.id}/done", wire(
        callback_models.CallbackDone(note="已回电"))))  # fmt: skip
    assert callback_models.CallbackClosed.model_validate(done).state == "done"
    listed_cb = callback_models.CallbacksReply.model_validate(
        await _ok(get("/api/v1/callbacks", state="done"))
    )
    assert listed_cb.callbacks[0].done_at is not None

    # The call ends; the resident rates it badly (a rectification), the officer adds a phone.
    await _ok(officer.client.request(SessionEnd(session_id=sid)))
    await kiosk.skip_to("session.ended")
    given = rating.RatingGiven.model_validate(await _ok(kiosk.client.post_json(
        f"/api/v1/sessions/{sid}/rating", wire(rating.RatingBody(level=1, reasons=["attitude"]))
    )))  # fmt: skip
    assert given.rectification is not None
    rating.SessionRating.model_validate(await _ok(get(f"/api/v1/sessions/{sid}/rating")))
    rating.RatingList.model_validate(await _ok(get("/api/v1/ratings")))
    contact = await _ok(post(f"/api/v1/cases/{case_no}/contact", {"phone": "13812345678"}))
    assert "*" in rating.ContactRecorded.model_validate(contact).phone
    rects = rating.RectificationList.model_validate(
        await _ok(sup.client.get_json("/api/v1/rectifications"))
    )
    close = rating.CloseRectificationBody(
        callback_at=dt.datetime.now(dt.UTC), callback_note="已回访，居民满意"
    )
    closed = await _ok(sup.client.post_json(
        f"/api/v1/rectifications/{rects.root[0].id}/close", wire(close)
    ))  # fmt: skip
    assert rating.Rectification.model_validate(closed).state == "closed"
    rating.FollowUpList.model_validate(await _ok(sup.client.get_json("/api/v1/follow-ups")))

    # A second call whose resident leaves without rating: a follow-up.
    officer2, kiosk2, sid2, _, _ = await in_case(hub, "o2")
    await _ok(officer2.client.request(SessionEnd(session_id=sid2)))
    await kiosk2.skip_to("session.ended")
    skipped = await _ok(kiosk2.client.post_json(
        f"/api/v1/sessions/{sid2}/rating/skip", wire(rating.SkipBody(helper="李姐"))
    ))  # fmt: skip
    assert rating.FollowUp.model_validate(skipped).source == "kiosk"

    # Reports, every grouping.
    for by in ("day", "point", "officer", "line"):
        answer = await _ok(sup.client.get_json("/api/v1/reports", by=by))
        report = reports.Report.model_validate(answer)
        assert report.by == by and report.total.cases == 2
    own = reports.Report.model_validate(await _ok(get("/api/v1/reports")))
    assert own.scope == "own" and own.total.cases == 1

    # The catalogue: current, versions, a dry run, a file with problems.
    current = catalogue.CatalogueReply.model_validate(
        await _ok(kiosk.client.get_json("/api/v1/catalogue"))
    )
    assert current.catalogue == load_sample()
    versions = catalogue.CatalogueVersions.model_validate(
        await _ok(admin.client.get_json("/api/v1/catalogue/versions"))
    )
    catalogue.CatalogueReply.model_validate(await _ok(get(
        f"/api/v1/catalogue/versions/{versions.versions[0].id}"
    )))  # fmt: skip
    changed = load_sample().model_copy(update={"version": "2026.12"})
    dry = await _ok(admin.client.post_bytes(
        "/api/v1/catalogue/import?format=json&dry_run=1", dump_json(changed), "application/json"
    ))  # fmt: skip
    assert isinstance(
        catalogue.CatalogueImportReply.model_validate(dry).root, catalogue.CatalogueImported
    )
    bad = b'{"version": "x", "lines": [], "matters": []}'
    problems = await _ok(admin.client.post_bytes(
        "/api/v1/catalogue/import?format=json&dry_run=1", bad, "application/json"
    ))  # fmt: skip
    rejected = catalogue.CatalogueImportReply.model_validate(problems).root
    assert isinstance(rejected, catalogue.CatalogueRejected) and rejected.problems
    status, refused = await _raw(
        hub, "POST", "/api/v1/catalogue/import?format=json", _token(admin), data=bad
    )
    assert status == 422 and catalogue.CatalogueRejected.model_validate(refused).problems


async def test_a_real_hubs_answers_validate_for_the_fleet(hub: HubHarness) -> None:
    from tests.hub.cases.test_routes import in_case  # noqa: PLC0415

    officer, kiosk, sid, _, _ = await in_case(hub)
    admin = await _logged_in(hub, "admin", Role.ADMIN)
    tech = await _logged_in(hub, "tech", Role.TECHNICIAN)
    get, post = admin.client.get_json, admin.client.post_json

    service = fleet.KioskService.model_validate(
        await _ok(kiosk.client.get_json("/api/v1/kiosk/service"))
    )
    assert service.open_now and not service.closed
    point_id = service.point.id
    now = dt.datetime.now(dt.UTC)
    report = health.HealthReport.model_validate({
        "at": now, "software_version": "1.2.3",
        "checks": [{"part": "printer", "status": "failed", "message": "paper jam"},
                   {"part": "hub", "status": "ok"}],
    })  # fmt: skip
    receipt = health.HealthReceipt.model_validate(await _ok(
        kiosk.client.post_json("/api/v1/fleet/health", report.model_dump(mode="json"))
    ))  # fmt: skip
    assert receipt.failed == ["printer"] and len(receipt.work_orders_opened) == 1
    latest = health.LatestHealth.model_validate(
        await _ok(officer.client.get_json(f"/api/v1/sessions/{sid}/kiosk-health"))
    )
    assert latest.report == report
    kiosk_id = latest.kiosk_id
    history = health.StoredHealthReportList.model_validate(
        await _ok(tech.client.get_json(f"/api/v1/fleet/kiosks/{kiosk_id}/health"))
    )
    assert [h.failed for h in history.root] == [["printer"]]

    # Points, changes, hours.
    body = fleet.PointBody(kind="park", name="滨江公园党群服务站", longitude=120.2, latitude=30.3)
    made = fleet.PointVersion.model_validate(await _ok(post("/api/v1/fleet/points", wire(body))))
    change = fleet.ChangeBody(effective=dt.datetime.now().astimezone().date(), contact="0571-1")
    changed = fleet.PointVersion.model_validate(
        await _ok(post(f"/api/v1/fleet/points/{made.point_id}/changes", wire(change)))
    )
    assert changed.contact == "0571-1" and changed.changed_by is not None
    history_rows = fleet.PointVersionList.model_validate(
        await _ok(get(f"/api/v1/fleet/points/{made.point_id}/history"))
    )
    assert len(history_rows.root) == 2
    points = fleet.PointVersionList.model_validate(await _ok(get("/api/v1/fleet/points")))
    assert {p.point_id for p in points.root} == {point_id, made.point_id}
    rule = fleet.HourBody(kind="weekly", weekday=0, opens="09:00", closes="12:00", note="上午")
    added = fleet.HourRule.model_validate(
        await _ok(post(f"/api/v1/fleet/points/{made.point_id}/hours", wire(rule)))
    )
    holiday = fleet.HourBody(kind="closed", day=dt.date(2030, 10, 1), note="国庆")
    closed_day = fleet.HourRule.model_validate(
        await _ok(post(f"/api/v1/fleet/points/{made.point_id}/hours", wire(holiday)))
    )
    rules = fleet.HourRuleList.model_validate(
        await _ok(get(f"/api/v1/fleet/points/{made.point_id}/hours"))
    )
    assert [r.kind for r in rules.root] == ["weekly", "closed"]
    fleet.DayHoursList.model_validate(
        await _ok(get(f"/api/v1/fleet/points/{made.point_id}/calendar", days="14"))
    )
    for rule_id in (added.id, closed_day.id):  # no rules: open all day (on the map today)
        deleted = await _ok(post(f"/api/v1/fleet/hours/{rule_id}/delete", {}))
        assert fleet.HoursDeleted.model_validate(deleted).deleted

    # Devices.
    device_body = fleet.DeviceBody(point_id=point_id, kind="printer", model="HP", serial="CN1")
    device = fleet.Device.model_validate(
        await _ok(tech.client.post_json("/api/v1/fleet/devices", wire(device_body)))
    )
    moved = fleet.Device.model_validate(await _ok(tech.client.post_json(
        f"/api/v1/fleet/devices/{device.id}/move", wire(fleet.MoveBody(point_id=made.point_id))
    )))  # fmt: skip
    assert moved.point_id == made.point_id and moved.history[0].removed_at is not None
    fleet.Device.model_validate(await _ok(get(f"/api/v1/fleet/devices/{device.id}")))
    at_point = fleet.DeviceList.model_validate(
        await _ok(get(f"/api/v1/fleet/points/{made.point_id}/devices"))
    )
    assert [d.serial for d in at_point.root] == ["CN1"]

    # Inspections and work orders.
    due_on = dt.datetime.now().astimezone().date() - dt.timedelta(days=1)
    inspection_body = fleet.InspectionBody(
        title="季度巡检", checklist=["屏幕", "打印机"], due_on=due_on
    )
    inspection = fleet.Inspection.model_validate(await _ok(tech.client.post_json(
        f"/api/v1/fleet/points/{point_id}/inspections", wire(inspection_body)
    )))  # fmt: skip
    due = fleet.InspectionList.model_validate(await _ok(get("/api/v1/fleet/inspections/due")))
    assert [i.overdue for i in due.root] == [True]
    record = fleet.RecordBody(results={"屏幕": True, "打印机": False}, note="打印机待修")
    recorded = fleet.Inspection.model_validate(await _ok(tech.client.post_json(
        f"/api/v1/fleet/inspections/{inspection.id}/record", wire(record)
    )))  # fmt: skip
    assert recorded.done_at is not None
    order_body = fleet.OrderBody(point_id=point_id, summary="屏幕有划痕")
    order = fleet.WorkOrder.model_validate(
        await _ok(tech.client.post_json("/api/v1/fleet/work-orders", wire(order_body)))
    )
    closed = fleet.WorkOrder.model_validate(await _ok(tech.client.post_json(
        f"/api/v1/fleet/work-orders/{order.id}/close", wire(fleet.CloseBody(note="已处理"))
    )))  # fmt: skip
    assert closed.closed_at is not None and closed.close_note == "已处理"
    orders = fleet.WorkOrderList.model_validate(
        await _ok(get("/api/v1/fleet/work-orders", state="all"))
    )
    assert {o.source for o in orders.root} == {"health", "manual"}

    # The overview (the kiosk goes offline) and the map feed.
    await kiosk.close()
    hub.peers.remove(kiosk)
    overview = fleet.OverviewList.model_validate(await _ok(get("/api/v1/fleet/overview")))
    ours = next(p for p in overview.root if p.point_id == point_id)
    assert ours.failed_parts == ["printer"] and ours.kiosks[0].report_at is not None
    feed = fleet.PointFeatureCollection.model_validate(await _ok(get("/api/v1/fleet/geojson")))
    assert [f.id for f in feed.features] == [made.point_id]
