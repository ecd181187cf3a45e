"""The case API: `/api/v1/cases`, `/api/v1/sessions/{id}/case`, `/api/v1/progress`.

Officers read and change their own cases (the holding officer), supervisors and
admins all of them; approval is for supervisors and admins. Every change pushes
the case to the holding console and the kiosk (see `service`).
`POST /api/v1/progress` (kiosk token) answers the same `not_found` for an unknown
case and for wrong digits, and is rate-limited per kiosk and per case number.
"""

from __future__ import annotations

import functools

from aiohttp import web

from backoffice_console.hub.calls import CallMoved, CallTaken, DeviceRelayed, SessionOpening
from backoffice_console.hub.cases.attachments import Attachments
from backoffice_console.hub.cases.case_state import Approval, CaseState
from backoffice_console.hub.cases.models import Case
from backoffice_console.hub.cases.service import CASES_KEY, CaseService, summary
from backoffice_console.hub.cases.store import CaseStore, CaseView, session_of_case
from backoffice_console.hub.catalogue import CATALOGUE_KEY
from backoffice_console.hub.core.access import CASE_WORKERS, allow
from backoffice_console.hub.core.caller import principal_of
from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.http import json_reply, query_id, read_body, wire
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.identity import IDENTITY_KEY, IdentityStored
from shared.protocol import ErrorCode, Role
from shared.protocol.cases import (
    ApprovalBody,
    CaseDetail,
    CaseList,
    CaseSummary,
    ChecklistBody,
    NoteBody,
    OutcomeBody,
    Progress,
    ProgressBody,
)

routes = web.RouteTableDef()


async def _service(request: web.Request) -> tuple[CaseService, Principal]:
    service = request.app[CASES_KEY]
    return service, await principal_of(request)


async def _changed(service: CaseService, case: Case, who: Principal) -> web.Response:
    await service.push(case.session_id)
    return json_reply(summary(await service.store.view(who, case_no=case.case_no)))


async def _read(request: web.Request, who: Principal, view: CaseView) -> None:
    """A case read (its notes are decrypted for it) is audited, identity or not."""
    case = view.case
    await request.app[CORE_KEY].audit.write(who, "case.read", case.session_id, case_no=case.case_no)


@routes.get("/api/v1/sessions/{session_id}/case")
@wire(request=None, response=CaseDetail)
@allow(*CASE_WORKERS, Role.KIOSK)
async def session_case(request: web.Request) -> web.Response:
    """`GET /api/v1/sessions/{session_id}/case`."""
    service, who = await _service(request)
    view = await service.store.view(who, session_id=request.match_info["session_id"])
    await _read(request, who, view)
    return json_reply(await service.full(view, who))


@routes.get("/api/v1/cases")
@wire(request=None, response=CaseList)
@allow(*CASE_WORKERS)
async def list_cases(request: web.Request) -> web.Response:
    """`GET /api/v1/cases?state=&officer_id=&limit=`: summaries, newest first."""
    service, who = await _service(request)
    state = request.query.get("state") or None
    if state is not None and state not in {s.value for s in CaseState}:
        raise HubError(ErrorCode.BAD_MESSAGE, "unknown state")
    officer_id = query_id(request, "officer_id")
    try:
        limit = min(max(int(request.query.get("limit", "100")), 1), 500)
    except ValueError:
        raise HubError(ErrorCode.BAD_MESSAGE, "limit is a number") from None
    cases = await service.store.list_cases(who, state, officer_id, limit)
    rows = []
    for case in cases:
        matter, line_name = await service.store.matter_of(case)
        rows.append(summary(CaseView(case, matter, line_name, [], [])))
    await request.app[CORE_KEY].audit.write(
        who, "case.list", None, state=state, officer_id=officer_id, count=len(rows)
    )
    return json_reply(rows)


@routes.get("/api/v1/cases/{case_no}")
@wire(request=None, response=CaseDetail)
@allow(*CASE_WORKERS)
async def get_case(request: web.Request) -> web.Response:
    """`GET /api/v1/cases/{case_no}`."""
    service, who = await _service(request)
    view = await service.store.view(who, case_no=request.match_info["case_no"])
    await _read(request, who, view)
    return json_reply(await service.full(view, who))


@routes.post("/api/v1/cases/{case_no}/outcome")
@wire(request=OutcomeBody, response=CaseSummary)
@allow(*CASE_WORKERS)
async def post_outcome(request: web.Request) -> web.Response:
    """`POST /api/v1/cases/{case_no}/outcome` `{state, reason}`."""
    service, who = await _service(request)
    body = await read_body(request, OutcomeBody)
    case = await service.store.set_outcome(
        request.match_info["case_no"], who, CaseState(body.state), body.reason
    )
    return await _changed(service, case, who)


@routes.post("/api/v1/cases/{case_no}/approval")
@wire(request=ApprovalBody, response=CaseSummary)
@allow(Role.SUPERVISOR, Role.ADMIN)
async def post_approval(request: web.Request) -> web.Response:
    """`POST /api/v1/cases/{case_no}/approval` `{approval, reason}`."""
    service, who = await _service(request)
    body = await read_body(request, ApprovalBody)
    case = await service.store.set_approval(
        request.match_info["case_no"], who, Approval(body.approval), body.reason
    )
    return await _changed(service, case, who)


@routes.post("/api/v1/cases/{case_no}/notes")
@wire(request=NoteBody, response=CaseSummary)
@allow(*CASE_WORKERS)
async def post_note(request: web.Request) -> web.Response:
    """`POST /api/v1/cases/{case_no}/notes` `{text}` (sealed at rest)."""
    service, who = await _service(request)
    body = await read_body(request, NoteBody)
    case = await service.add_note(request.match_info["case_no"], who, body.text)
    return await _changed(service, case, who)


@routes.post("/api/v1/cases/{case_no}/checklist")
@wire(request=ChecklistBody, response=CaseSummary)
@allow(*CASE_WORKERS)
async def post_checklist(request: web.Request) -> web.Response:
    """`POST /api/v1/cases/{case_no}/checklist` `{kind, ref, item_code}`."""
    service, who = await _service(request)
    body = await read_body(request, ChecklistBody)
    if body.item_code is None:
        raise HubError(ErrorCode.BAD_MESSAGE, "item_code: field required")
    case = await service.store.assign(
        request.match_info["case_no"], who, body.kind, body.ref, body.item_code
    )
    return await _changed(service, case, who)


@routes.delete("/api/v1/cases/{case_no}/checklist")
@wire(request=ChecklistBody, response=CaseSummary)
@allow(*CASE_WORKERS)
async def delete_checklist(request: web.Request) -> web.Response:
    """`DELETE /api/v1/cases/{case_no}/checklist` `{kind, ref}`."""
    service, who = await _service(request)
    body = await read_body(request, ChecklistBody)
    case = await service.store.unassign(request.match_info["case_no"], who, body.kind, body.ref)
    return await _changed(service, case, who)


@routes.post("/api/v1/progress")
@wire(request=ProgressBody, response=Progress)
@allow(Role.KIOSK)
async def post_progress(request: web.Request) -> web.Response:
    """`POST /api/v1/progress` `{case_no, last4}` (kiosk): state, matter and public timeline."""
    service, who = await _service(request)
    if not who.is_kiosk:
        raise HubError(ErrorCode.FORBIDDEN, "progress look-ups are made at a kiosk")
    body = await read_body(request, ProgressBody)
    return json_reply(await service.progress(who, body.case_no, body.last4))


def setup(app: web.Application) -> None:
    """The case service, its listeners (calls, identity) and its routes."""
    core = app[CORE_KEY]
    store = CaseStore(core.db, app[CATALOGUE_KEY], Attachments())
    service = CaseService(
        store=store,
        registry=core.registry,
        vault=core.vault,
        identities=app[IDENTITY_KEY],
        audit=core.audit,
        bus=core.bus,
        db=core.db,
    )
    app[CASES_KEY] = service
    # The audit log's case filter (`GET /api/v1/audit?case=`) asks here for the session.
    core.audit.case_session = functools.partial(session_of_case, core.db)
    core.bus.subscribe(SessionOpening, service.on_session_opening)
    core.bus.subscribe(CallTaken, service.on_taken)
    core.bus.subscribe(DeviceRelayed, service.on_device)
    core.bus.subscribe(IdentityStored, service.on_identity)
    core.bus.subscribe(CallMoved, service.on_moved)
    app.add_routes(routes)
