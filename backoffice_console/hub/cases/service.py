"""The cases domain's service: pushes, the JSON views, notes, the progress look-up, listeners.

After every change the holding console gets `case.updated` and the kiosk
`checklist.status`. A read that returns the resident's identity is audited
(through the identity store). The progress look-up (kiosk) answers the same
`not_found` for an unknown case and for wrong digits, is rate-limited per kiosk
and per case number, and asks other domains for more (`ProgressAsked`).

Cases hear the calls and identity domains (subscribed in `routes.setup`): a case is
opened in the take's transaction (`SessionOpening`), pushed once both sides know
of the call (`CallTaken`), given timeline events for retakes and prints
(`DeviceRelayed`), the last-4 digest of a read identity (`IdentityStored`) and
its new officer on a transfer (`CallMoved`).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from backoffice_console.hub.accounts import ThrottleStore
from backoffice_console.hub.calls import CallMoved, CallTaken, DeviceRelayed, SessionOpening
from backoffice_console.hub.cases.attachments import Attachments
from backoffice_console.hub.cases.events import ProgressAsked
from backoffice_console.hub.cases.models import Case, CaseEvent
from backoffice_console.hub.cases.store import PUBLIC_KINDS, CaseStore, CaseView
from backoffice_console.hub.core.audit import AuditLog
from backoffice_console.hub.core.connections import Registry, send_all
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.events import EventBus
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.core.vault import IdentityVault, require_vault
from backoffice_console.hub.db import Database, iso
from backoffice_console.hub.identity import IdentityStore, IdentityStored
from shared.protocol import (
    CaseUpdated,
    ChecklistStatus,
    DeviceCommand,
    DeviceProgress,
    ErrorCode,
    KioskItem,
)

log = logging.getLogger(__name__)

PROGRESS_FAILURES = 5
PROGRESS_WINDOW_S = 600.0


def seal_note(
    vault_seal: Callable[[str, bytes], tuple[bytes, bytes]], session_id: str, text: str
) -> dict[str, str]:
    """A note's text sealed for an event's detail: `{"nonce", "sealed"}` as base64."""
    nonce, ciphertext = vault_seal(session_id, text.encode("utf-8"))
    return {
        "nonce": base64.b64encode(nonce).decode("ascii"),
        "sealed": base64.b64encode(ciphertext).decode("ascii"),
    }


def summary(view: CaseView) -> dict[str, Any]:
    """A case as the case list and change answers show it (no timeline, no identity)."""
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
        "opened_at": iso(case.opened_at),
        "closed_at": iso(case.closed_at),
        "has_identity": case.last4_digest is not None,
        "items": [item.model_dump(mode="json") for item in view.items],
    }


def _event_json(event: CaseEvent, vault: IdentityVault | None, session_id: str) -> dict[str, Any]:
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
        "at": iso(event.at),
        "kind": event.kind,
        "actor_kind": event.actor_kind,
        "actor_id": event.actor_id,
        "detail": detail,
    }


class CaseService:
    """The case store plus pushes, progress limits, and the listeners of other domains' events."""

    def __init__(
        self,
        *,
        store: CaseStore,
        registry: Registry,
        vault: IdentityVault | None,
        identities: IdentityStore,
        audit: AuditLog,
        bus: EventBus,
        db: Database,
    ) -> None:
        self.store = store
        self.registry = registry
        self.vault = vault
        self.identities = identities
        self.audit = audit
        self.bus = bus
        # In the database: every hub instance counts the same wrong guesses.
        self.kiosk_limiter = ThrottleStore(db, PROGRESS_FAILURES * 4, PROGRESS_WINDOW_S)
        self.case_limiter = ThrottleStore(db, PROGRESS_FAILURES, PROGRESS_WINDOW_S)

    @property
    def attachments(self) -> Attachments:
        """The checks of checklist references (`register(kind, check)`: materials, documents)."""
        return self.store.attachments

    def need_vault(self) -> IdentityVault:
        """The identity vault (notes and last-4 digests need it)."""
        return require_vault(self.vault)

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
        await send_all(self.registry.console_for(session_id, case.officer_id), updated)
        status = ChecklistStatus(
            session_id=session_id,
            matter_name=matter_name,
            items=[
                KioskItem(code=i.code, name=i.name, name_en=i.name_en, optional=i.optional,
                          done=i.done)
                for i in view.items
            ],
        )  # fmt: skip
        await send_all(self.registry.kiosk(case.kiosk_id), status)

    # --- views and changes ---------------------------------------------------

    async def full(self, view: CaseView, who: Principal) -> dict[str, Any]:
        """A case with its timeline and (audited `case.identity.read`) the masked identity."""
        data = summary(view)
        data["events"] = [_event_json(e, self.vault, view.case.session_id) for e in view.events]
        data["identity"] = None
        if view.case.last4_digest is not None:
            try:  # audited by the identity store (`case.identity.read`)
                stored = await self.identities.latest(
                    view.case.session_id, who, "case.identity.read"
                )
            except HubError:
                pass
            else:
                masked = stored.record.masked()
                data["identity"] = {"name": masked["name"], "id_number": masked["id_number"]}
        return data

    async def add_note(self, case_no: str, who: Principal, text: str) -> Case:
        """Append a note, sealed at rest, to the case's timeline."""
        view = await self.store.view(who, case_no=case_no)
        sealed = seal_note(self.need_vault().seal, view.case.session_id, text)
        return await self.store.add_note(case_no, who, sealed)

    async def progress(self, kiosk: Principal, case_no: str, last4: str) -> dict[str, Any]:
        """The resident's progress look-up: state, matter, public timeline and extras."""
        kiosk_key, case_key = f"kiosk:{kiosk.subject_id}", f"case:{case_no}"
        kiosk_key, case_key = f"progress-{kiosk_key}", f"progress-{case_key}"
        if await self.kiosk_limiter.blocked(kiosk_key) or await self.case_limiter.blocked(case_key):
            raise HubError(ErrorCode.RATE_LIMITED, "too many wrong attempts; try again later")
        case = await self.store.match_last4(case_no, last4, self.need_vault().digest_key)
        if case is None:
            await self.kiosk_limiter.failed([kiosk_key])
            await self.case_limiter.failed([case_key])
            await self.audit.write(kiosk, "progress.failed")
            raise HubError(ErrorCode.NOT_FOUND, "no case matches that number and those digits")
        view = await self.store.view(None, case_no=case.case_no)
        await self.audit.write(kiosk, "progress.read", case.session_id, case_no=case.case_no)
        data: dict[str, Any] = {
            "case_no": case.case_no,
            "state": case.state,
            "approval_state": case.approval_state,
            "matter_name": view.matter.name if view.matter is not None else case.matter_code,
            "matter_name_en": view.matter.name_en if view.matter is not None else None,
            "line_name": view.line_name,
            "opened_at": iso(case.opened_at),
            "closed_at": iso(case.closed_at),
            "timeline": [
                {"at": iso(e.at), "kind": e.kind, "state": (e.detail or {}).get("state")
                 or (e.detail or {}).get("approval")}
                for e in view.events if e.kind in PUBLIC_KINDS
            ],
            "originals": [],
        }  # fmt: skip
        asked = ProgressAsked(case)
        await self.bus.publish(asked)
        data.update(asked.extras)
        return data

    # --- listeners (other domains' events) -----------------------------------

    async def on_session_opening(self, event: SessionOpening) -> None:
        """A ticket was taken: open its session's case in the take's transaction."""
        await self.store.open_in(event.s, event.session_id)

    async def on_taken(self, event: CallTaken) -> None:
        """After a take: push the new case when its matter has a checklist."""
        await self.push(event.session_id, only_with_checklist=True)

    async def on_device(self, event: DeviceRelayed) -> None:
        """A relayed device message: a retake request (page rejected) and a finished print."""
        who, message = event.sender, event.message
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

    async def on_identity(self, event: IdentityStored) -> None:
        """An identity was stored: the case's last-4 digest and an event (same transaction)."""
        if self.vault is None:
            return
        await self.store.identity_in(
            event.s, event.session_id, event.record.id_number, self.vault.digest_key, event.kiosk
        )

    async def on_moved(self, event: CallMoved) -> None:
        """A call changed hands: the case's officer and a `transferred` event (same transaction)."""
        await self.store.moved_in(
            event.s, event.session_id, event.actor, event.officer_id, event.detail
        )


CASES_KEY = web.AppKey("cases", CaseService)
"""The hub's case service."""
