"""The case API (`/api/v1/cases`, `/api/v1/sessions/{id}/case`, `/api/v1/progress`) and pushes.

Officers read and change their own cases (the holding officer), supervisors and
admins all of them; approval is for supervisors and admins. A read that returns
the resident's identity is audited (through the identity store). After every
change the holding console gets `case.updated` and the kiosk `checklist.status`.
`POST /api/v1/progress` (kiosk token) answers the same `not_found` for an unknown
case and for wrong digits, and is rate-limited per kiosk and per case number.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.accounts import Principal
from backoffice_console.hub.api import principal_of, read_body
from backoffice_console.hub.auth import RateLimiter
from backoffice_console.hub.case_state import MAX_REASON, Approval, CaseState
from backoffice_console.hub.case_store import PUBLIC_KINDS, CaseStore, CaseView, seal_note
from backoffice_console.hub.db import Case
from backoffice_console.hub.errors import HubError
from backoffice_console.hub.identity import IdentityVault
from backoffice_console.hub.registry import send_all
from backoffice_console.hub.services import HUB_KEY, Hub
from shared.idcard.record import IdentityRecord
from shared.protocol import (
    CaseUpdated,
    ChecklistStatus,
    DeviceCommand,
    DeviceProgress,
    ErrorCode,
    KioskItem,
)

log = logging.getLogger(__name__)

_dumps = functools.partial(json.dumps, ensure_ascii=False)
PROGRESS_FAILURES = 5
PROGRESS_WINDOW_S = 600.0
CaseNoText = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9-]+$")]
ProgressExtra = Callable[[Case], Awaitable[dict[str, Any]]]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OutcomeBody(_Body):
    """`POST /api/v1/cases/{case_no}/outcome`."""

    state: Literal["open", "accepted", "completed", "needs_more", "not_eligible"]
    reason: Annotated[str, Field(max_length=MAX_REASON)] | None = None


class ApprovalBody(_Body):
    """`POST /api/v1/cases/{case_no}/approval` (supervisor/admin)."""

    approval: Literal["approved", "rejected"]
    reason: Annotated[str, Field(max_length=MAX_REASON)] | None = None


class NoteBody(_Body):
    """`POST /api/v1/cases/{case_no}/notes`."""

    text: Annotated[str, Field(min_length=1, max_length=2000)]


class ChecklistBody(_Body):
    """`POST` / `DELETE /api/v1/cases/{case_no}/checklist`."""

    kind: Literal["page", "document"]
    ref: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    item_code: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class ProgressBody(_Body):
    """`POST /api/v1/progress` (kiosk): case number plus the ID number's last four."""

    case_no: CaseNoText
    last4: Annotated[str, Field(pattern=r"^[0-9]{3}[0-9Xx]$")]


class CaseService:
    """The store plus pushes, progress limits and extension hooks for other areas."""

    def __init__(self, hub: Hub, store: CaseStore) -> None:
        self.hub = hub
        self.store = store
        self.kiosk_limiter = RateLimiter(PROGRESS_FAILURES * 4, PROGRESS_WINDOW_S)
        self.case_limiter = RateLimiter(PROGRESS_FAILURES, PROGRESS_WINDOW_S)
        self.progress_extras: list[ProgressExtra] = []
        """Other areas add to the progress answer (e.g. where the originals are)."""

    def vault(self) -> IdentityVault:
        """The identity vault (notes and last-4 digests need it)."""
        vault = self.hub.identities.vault
        if vault is None:
            raise HubError(ErrorCode.BAD_STATE, "this hub has no identity key configured")
        return vault

    async def push(self, session_id: str, only_with_checklist: bool = False) -> None:
        """Tell the holding console and the kiosk about the case of `session_id`.

        `only_with_checklist`: skip a case whose matter has no checklist (at take: a
        console reads the case itself on `session.started`, so nothing is lost).
        """
        try:
            view = await self.store.view(None, session_id=session_id)
        except HubError:
            return  # no case for this session (opened before cases existed)
        if only_with_checklist and not view.items:
            return
        case = view.case
        matter_name = view.matter.name if view.matter is not None else case.matter_code
        updated = CaseUpdated(
            session_id=session_id,
            case_no=case.case_no,
            matter_code=case.matter_code,
            matter_name=matter_name,
            state=case.state,
            approval_state=case.approval_state,
            items=view.items,
        )
        registry = self.hub.registry
        await send_all(registry.console_for(session_id, case.officer_id), updated)
        status = ChecklistStatus(
            session_id=session_id,
            matter_name=matter_name,
            items=[
                KioskItem(code=i.code, name=i.name, name_en=i.name_en, optional=i.optional,
                          done=i.done)
                for i in view.items
            ],
        )  # fmt: skip
        await send_all(registry.kiosk(case.kiosk_id), status)

    async def on_device(self, who: Principal, message: BaseModel) -> None:
        """Device-relay observer: a retake request (page rejected) and a finished print."""
        if isinstance(message, DeviceCommand) and message.kind == "page.capture":
            if "retake_of" in message.params:
                detail = {
                    "material_id": str(message.params["retake_of"])[:32],
                    "reason": str(message.params.get("reason", ""))[:32],
                }
                await self.store.event(message.session_id, "page.rejected", who, **detail)
        elif (
            isinstance(message, DeviceProgress)
            and message.kind == "print"
            and message.stage == "done"
        ):
            await self.store.event(
                message.session_id, "document.printed", who, command_id=message.command_id
            )

    async def on_taken(self, session_id: str) -> None:
        """Signaling hook after a take: push the new case when its matter has a checklist."""
        await self.push(session_id, only_with_checklist=True)

    async def on_identity(
        self, s: AsyncSession, session_id: str, record: IdentityRecord, who: Principal
    ) -> None:
        """Identity-store hook: the case's last-4 digest and a timeline event."""
        if self.hub.identities.vault is None:
            return
        await self.store.identity_in(
            s, session_id, record.id_number, self.hub.identities.vault.digest_key, who
        )


CASES_KEY = web.AppKey("cases", CaseService)


def _summary(view: CaseView) -> dict[str, Any]:
    case = view.case
    return {
        "case_no": case.case_no,
        "session_id": case.session_id,
        "officer_id": case.officer_id,
        "matter_code": case.matter_code,
        "matter_name": view.matter.name if view.matter is not None else None,
        "line_code": case.line_code,
        "line_name": view.line_name,
        "catalogue_version_id": case.catalogue_version_id,
        "state": case.state,
        "outcome_reason": case.outcome_reason,
        "approval_state": case.approval_state,
        "opened_at": case.opened_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "has_identity": case.last4_digest is not None,
        "items": [item.model_dump(mode="json") for item in view.items],
    }


def _event_json(event: Any, vault: IdentityVault | None, session_id: str) -> dict[str, Any]:
    detail = dict(event.detail or {})
    if event.kind == "note" and vault is not None and "sealed" in detail:
        try:
            text = vault.open(
                session_id, base64.b64decode(detail["nonce"]), base64.b64decode(detail["sealed"])
            ).decode("utf-8")
        except (HubError, ValueError):
            text = ""
        detail = {"text": text}
    return {
        "at": event.at.isoformat(),
        "kind": event.kind,
        "actor_kind": event.actor_kind,
        "actor_id": event.actor_id,
        "detail": detail,
    }


async def _full(service: CaseService, view: CaseView, who: Principal) -> dict[str, Any]:
    data = _summary(view)
    data["events"] = [
        _event_json(e, service.hub.identities.vault, view.case.session_id) for e in view.events
    ]
    data["identity"] = None
    if view.case.last4_digest is not None:
        try:  # audited by the identity store (`case.identity.read`)
            stored = await service.hub.identities.latest(
                view.case.session_id, who, "case.identity.read"
            )
        except HubError:
            pass
        else:
            masked = stored.record.masked()
            data["identity"] = {"name": masked["name"], "id_number": masked["id_number"]}
    return data


async def _service(request: web.Request) -> tuple[CaseService, Principal]:
    service = request.app[CASES_KEY]
    return service, await principal_of(request, service.hub)


def _reply(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


async def session_case(request: web.Request) -> web.Response:
    """`GET /api/v1/sessions/{session_id}/case`."""
    service, who = await _service(request)
    view = await service.store.view(who, session_id=request.match_info["session_id"])
    return _reply(await _full(service, view, who))


async def get_case(request: web.Request) -> web.Response:
    """`GET /api/v1/cases/{case_no}`."""
    service, who = await _service(request)
    view = await service.store.view(who, case_no=request.match_info["case_no"])
    return _reply(await _full(service, view, who))


async def list_cases(request: web.Request) -> web.Response:
    """`GET /api/v1/cases?state=&officer_id=&limit=`: summaries, newest first."""
    service, who = await _service(request)
    state = request.query.get("state") or None
    if state is not None and state not in {s.value for s in CaseState}:
        raise HubError(ErrorCode.BAD_MESSAGE, "unknown state")
    try:
        officer_id = int(request.query["officer_id"]) if "officer_id" in request.query else None
        limit = min(max(int(request.query.get("limit", "100")), 1), 500)
    except ValueError:
        raise HubError(ErrorCode.BAD_MESSAGE, "officer_id and limit are numbers") from None
    cases = await service.store.list_cases(who, state, officer_id, limit)
    rows = []
    for case in cases:
        matter, line_name = await service.store.matter_of(case)
        rows.append(_summary(CaseView(case, matter, line_name, [], [])))
    return _reply(rows)


async def _changed(service: CaseService, case: Case, who: Principal) -> web.Response:
    await service.push(case.session_id)
    return _reply(_summary(await service.store.view(who, case_no=case.case_no)))


async def post_outcome(request: web.Request) -> web.Response:
    """`POST /api/v1/cases/{case_no}/outcome` `{state, reason}`."""
    service, who = await _service(request)
    body = await read_body(request, OutcomeBody)
    case = await service.store.set_outcome(
        request.match_info["case_no"], who, CaseState(body.state), body.reason
    )
    return await _changed(service, case, who)


async def post_approval(request: web.Request) -> web.Response:
    """`POST /api/v1/cases/{case_no}/approval` `{approval, reason}`."""
    service, who = await _service(request)
    body = await read_body(request, ApprovalBody)
    case = await service.store.set_approval(
        request.match_info["case_no"], who, Approval(body.approval), body.reason
    )
    return await _changed(service, case, who)


async def post_note(request: web.Request) -> web.Response:
    """`POST /api/v1/cases/{case_no}/notes` `{text}` (sealed at rest)."""
    service, who = await _service(request)
    body = await read_body(request, NoteBody)
    case_no = request.match_info["case_no"]
    view = await service.store.view(who, case_no=case_no)
    sealed = seal_note(service.vault().seal, view.case.session_id, body.text)
    case = await service.store.add_note(case_no, who, sealed)
    return await _changed(service, case, who)


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


async def delete_checklist(request: web.Request) -> web.Response:
    """`DELETE /api/v1/cases/{case_no}/checklist` `{kind, ref}`."""
    service, who = await _service(request)
    body = await read_body(request, ChecklistBody)
    case = await service.store.unassign(request.match_info["case_no"], who, body.kind, body.ref)
    return await _changed(service, case, who)


async def post_progress(request: web.Request) -> web.Response:
    """`POST /api/v1/progress` `{case_no, last4}` (kiosk): state, matter and public timeline."""
    service, who = await _service(request)
    if not who.is_kiosk:
        raise HubError(ErrorCode.FORBIDDEN, "progress look-ups are made at a kiosk")
    body = await read_body(request, ProgressBody)
    kiosk_key, case_key = f"kiosk:{who.subject_id}", f"case:{body.case_no}"
    if service.kiosk_limiter.blocked(kiosk_key) or service.case_limiter.blocked(case_key):
        raise HubError(ErrorCode.RATE_LIMITED, "too many wrong attempts; try again later")
    case = await service.store.match_last4(body.case_no, body.last4, service.vault().digest_key)
    if case is None:
        service.kiosk_limiter.failed(kiosk_key)
        service.case_limiter.failed(case_key)
        await service.hub.calls.audit(who, "progress.failed")
        raise HubError(ErrorCode.NOT_FOUND, "no case matches that number and those digits")
    view = await service.store.view(None, case_no=case.case_no)
    await service.hub.calls.audit(who, "progress.read", case.session_id, case_no=case.case_no)
    data: dict[str, Any] = {
        "case_no": case.case_no,
        "state": case.state,
        "approval_state": case.approval_state,
        "matter_name": view.matter.name if view.matter is not None else case.matter_code,
        "matter_name_en": view.matter.name_en if view.matter is not None else None,
        "line_name": view.line_name,
        "opened_at": case.opened_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "timeline": [
            {"at": e.at.isoformat(), "kind": e.kind, "state": (e.detail or {}).get("state")
             or (e.detail or {}).get("approval")}
            for e in view.events if e.kind in PUBLIC_KINDS
        ],
        "originals": [],
    }  # fmt: skip
    for extra in service.progress_extras:
        data.update(await extra(case))
    return _reply(data)


def setup_cases(app: web.Application) -> None:
    """Add the case service, its routes and its hooks (session open, identity) to a hub."""
    hub = app[HUB_KEY]
    service = CaseService(hub, CaseStore(hub.db, hub.catalogue))
    app[CASES_KEY] = service
    hub.calls.session_hooks.append(service.store.open_in)
    hub.signaling.after_take.append(service.on_taken)
    hub.identities.store_hooks.append(service.on_identity)
    if hub.signaling.devices is not None:
        hub.signaling.devices.observers.append(service.on_device)
    app.router.add_get("/api/v1/sessions/{session_id}/case", session_case)
    app.router.add_get("/api/v1/cases", list_cases)
    app.router.add_get("/api/v1/cases/{case_no}", get_case)
    app.router.add_post("/api/v1/cases/{case_no}/outcome", post_outcome)
    app.router.add_post("/api/v1/cases/{case_no}/approval", post_approval)
    app.router.add_post("/api/v1/cases/{case_no}/notes", post_note)
    app.router.add_post("/api/v1/cases/{case_no}/checklist", post_checklist)
    app.router.add_delete("/api/v1/cases/{case_no}/checklist", delete_checklist)
    app.router.add_post("/api/v1/progress", post_progress)
