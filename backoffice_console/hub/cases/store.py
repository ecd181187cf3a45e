"""Case records in the database: opening, timeline, outcome, checklist, progress look-up.

A case is opened in the same transaction that opens the call session (the calls
domain's `SessionOpening`). Its number is `SL<local date>-<row id, 6 digits>`: the row id
comes from the database's own sequence, so several hub instances on PostgreSQL
never hand out the same number and no retry is needed. `record_event` is for
other domains; an event's detail never holds personal data (a note's text is
sealed with the identity vault). A page or document assigned to a checklist item
is checked by the check its domain registered (`Attachments`).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.accounts import Kiosk
from backoffice_console.hub.calls import CallSession, Ticket
from backoffice_console.hub.cases.attachments import Attachments
from backoffice_console.hub.cases.case_state import (
    Approval,
    CaseState,
    CaseStatus,
    IllegalTransition,
    decide,
    transition,
)
from backoffice_console.hub.cases.models import Case, CaseEvent, CaseMaterial
from backoffice_console.hub.cases.numbers import last4_digest
from backoffice_console.hub.catalogue import CatalogueStore, current_in
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db import Database, utcnow
from shared.catalogue import Matter
from shared.protocol import ChecklistItem, ErrorCode, Role

PUBLIC_KINDS = frozenset({"opened", "outcome", "approval", "reopened"})
"""Timeline kinds a resident sees in the progress look-up."""

_CHANGERS = (Role.SUPERVISOR, Role.ADMIN)


def _actor(who: Principal | None) -> tuple[str, int | None]:
    return ("hub", None) if who is None else (who.actor_kind, who.subject_id)


async def record_event(
    s: AsyncSession, session_id: str, kind: str, actor: Principal | None, **detail: Any
) -> bool:
    """Append a timeline event to the session's case (False when it has none).

    Runs in the caller's transaction; `detail` must hold no personal data.
    """
    case_id = await s.scalar(select(Case.id).where(Case.session_id == session_id))
    if case_id is None:
        return False
    actor_kind, actor_id = _actor(actor)
    s.add(
        CaseEvent(case_id=case_id, kind=kind[:32], actor_kind=actor_kind, actor_id=actor_id,
                  detail=detail)
    )  # fmt: skip
    return True


@dataclass(frozen=True)
class CaseView:
    """A case row with its matter (from the case's own catalogue version) and checklist."""

    case: Case
    matter: Matter | None
    line_name: str | None
    items: list[ChecklistItem]
    events: list[CaseEvent]


def status_of(case: Case) -> CaseStatus:
    """The state-machine view of a case row."""
    approval = Approval(case.approval_state) if case.approval_state else None
    return CaseStatus(CaseState(case.state), approval, case.outcome_reason, case.closed_at)


class CaseStore:
    """Cases of the hub (see module docstring)."""

    def __init__(self, db: Database, catalogues: CatalogueStore, attachments: Attachments) -> None:
        self._db = db
        self.catalogues = catalogues
        self.attachments = attachments

    # --- opening and identity ----------------------------------------------

    async def open_in(self, s: AsyncSession, session_id: str) -> Case:
        """Open the case of a just-started session inside the caller's transaction."""
        cs = await s.get(CallSession, session_id)
        if cs is None:
            raise HubError(ErrorCode.NOT_FOUND, "no such session")
        ticket = await s.get(Ticket, cs.ticket_id)
        point_id = await s.scalar(select(Kiosk.point_id).where(Kiosk.id == cs.kiosk_id))
        matter_code = ticket.matter if ticket is not None else None
        line_code = getattr(ticket, "line", None)
        # Inside take's transaction: read the catalogue with this session, never a second one.
        version_id, catalogue = await current_in(s)
        matter = catalogue.matter(matter_code) if catalogue and matter_code else None
        if matter is not None:
            line_code = matter.line
        now = utcnow()
        case = Case(
            case_no=f"P{session_id}"[:32],  # provisional; unique like the session id
            session_id=session_id,
            ticket_id=cs.ticket_id,
            kiosk_id=cs.kiosk_id,
            point_id=point_id,
            officer_id=cs.officer_id,
            matter_code=matter_code,
            line_code=line_code,
            catalogue_version_id=version_id,
            state=CaseState.OPEN.value,
            opened_at=now,
        )
        s.add(case)
        await s.flush()
        case.case_no = f"SL{now.astimezone():%Y%m%d}-{case.id:06d}"
        s.add(CaseEvent(case_id=case.id, kind="opened", actor_kind="user",
                        actor_id=cs.officer_id, detail={"matter": matter_code}))  # fmt: skip
        await s.flush()
        return case

    async def event(
        self, session_id: str, kind: str, actor: Principal | None, **detail: Any
    ) -> None:
        """`record_event` in its own transaction (for callers outside one)."""
        async with self._db.session() as s, s.begin():
            await record_event(s, session_id, kind, actor, **detail)

    async def identity_in(
        self, s: AsyncSession, session_id: str, id_number: str, key: bytes, who: Principal
    ) -> None:
        """Note a stored identity: the last-4 digest for the progress look-up, and an event."""
        case = await s.scalar(select(Case).where(Case.session_id == session_id))
        if case is None:
            return
        case.last4_digest = last4_digest(key, case.case_no, id_number[-4:])
        await record_event(s, session_id, "identity.read", who)

    async def moved_in(
        self,
        s: AsyncSession,
        session_id: str,
        actor: Principal,
        officer_id: int | None,
        detail: dict[str, object],
    ) -> None:
        """Point the session's case (if one was opened) at its new officer, with a timeline event.

        Inside the transfer's transaction; `officer_id` None: the call waits in a queue.
        """
        case = await s.scalar(select(Case).where(Case.session_id == session_id))
        if case is None:
            return
        if officer_id is not None:
            case.officer_id = officer_id
        s.add(
            CaseEvent(
                case_id=case.id,
                kind="transferred",
                actor_kind=actor.actor_kind,
                actor_id=actor.subject_id,
                detail=detail,
            )
        )

    # --- reading -------------------------------------------------------------

    async def _get(self, s: AsyncSession, case_no: str | None, session_id: str | None) -> Case:
        if case_no is not None:
            case = await s.scalar(select(Case).where(Case.case_no == case_no))
        else:
            case = await s.scalar(select(Case).where(Case.session_id == session_id))
        if case is None:
            raise HubError(ErrorCode.NOT_FOUND, "no such case")
        return case

    @staticmethod
    def check_read(case: Case, who: Principal) -> None:
        """Officers read their own cases; supervisors and admins all; nobody else."""
        if who.role in _CHANGERS:
            return
        if who.role is Role.OFFICER and case.officer_id == who.subject_id:
            return
        # Same answer as a missing case: a case number is no oracle for others.
        raise HubError(ErrorCode.NOT_FOUND, "no such case")

    @staticmethod
    def check_change(case: Case, who: Principal) -> None:
        """Only the holding officer, a supervisor or an admin changes a case."""
        if who.role in _CHANGERS:
            return
        if who.role is Role.OFFICER and case.officer_id == who.subject_id:
            return
        raise HubError(ErrorCode.FORBIDDEN, "only the officer holding the case may change it")

    async def matter_of(self, case: Case) -> tuple[Matter | None, str | None]:
        """The case's matter and line name from the catalogue version it was opened under."""
        version_id = case.catalogue_version_id
        catalogue = None if version_id is None else await self.catalogues.version(version_id)
        if catalogue is None or case.matter_code is None:
            return None, None
        matter = catalogue.matter(case.matter_code)
        line = catalogue.line(matter.line) if matter is not None else None
        return matter, line.name if line is not None else None

    async def view(
        self, who: Principal | None, *, case_no: str | None = None, session_id: str | None = None
    ) -> CaseView:
        """The case by number or session, checked for `who` (None: the hub itself)."""
        async with self._db.session() as s:
            case = await self._get(s, case_no, session_id)
            if who is not None:
                self.check_read(case, who)
            events = list(
                await s.scalars(
                    select(CaseEvent)
                    .where(CaseEvent.case_id == case.id)
                    .order_by(CaseEvent.at, CaseEvent.id)
                )
            )
            assigned = list(
                await s.scalars(
                    select(CaseMaterial)
                    .where(CaseMaterial.case_id == case.id)
                    .order_by(CaseMaterial.id)
                )
            )
        matter, line_name = await self.matter_of(case)
        items = []
        for item in matter.materials if matter is not None else []:
            mine = [a for a in assigned if a.item_code == item.code]
            items.append(
                ChecklistItem(
                    code=item.code,
                    name=item.name,
                    name_en=item.name_en,
                    optional=item.optional,
                    original_required=item.original_required,
                    pages=[a.ref for a in mine if a.kind == "page"],
                    documents=[a.ref for a in mine if a.kind == "document"],
                )
            )
        return CaseView(case, matter, line_name, items, events)

    async def list_cases(
        self, who: Principal, state: str | None, officer_id: int | None, limit: int
    ) -> list[Case]:
        """Cases newest first: an officer's own, or (supervisor/admin) anyone's."""
        query = select(Case).order_by(Case.opened_at.desc(), Case.id.desc()).limit(limit)
        if who.role is Role.OFFICER:
            query = query.where(Case.officer_id == who.subject_id)
        elif who.role not in _CHANGERS:
            raise HubError(ErrorCode.FORBIDDEN, "officers, supervisors and administrators only")
        elif officer_id is not None:
            query = query.where(Case.officer_id == officer_id)
        if state is not None:
            query = query.where(Case.state == state)
        async with self._db.session() as s:
            return list(await s.scalars(query))

    # --- changing ------------------------------------------------------------

    async def set_outcome(
        self, case_no: str, who: Principal, target: CaseState, reason: str | None
    ) -> Case:
        """Move the case to outcome `target`; bad_state (nothing changed) when illegal."""
        async with self._db.session() as s, s.begin():
            case = await self._locked(s, case_no, who)
            before = status_of(case)
            try:
                after = transition(before, target, reason, utcnow())
            except IllegalTransition as exc:
                raise HubError(ErrorCode.BAD_STATE, str(exc)) from None
            self._apply(case, after)
            kind = "reopened" if target is CaseState.OPEN else "outcome"
            await record_event(s, case.session_id, kind, who, state=target.value)
            return case

    async def set_approval(
        self, case_no: str, who: Principal, approval: Approval, reason: str | None
    ) -> Case:
        """Record the back office's decision (supervisors and admins only)."""
        if who.role not in _CHANGERS:
            raise HubError(ErrorCode.FORBIDDEN, "supervisors and administrators only")
        async with self._db.session() as s, s.begin():
            case = await self._locked(s, case_no, who)
            try:
                after = decide(status_of(case), approval, reason)
            except IllegalTransition as exc:
                raise HubError(ErrorCode.BAD_STATE, str(exc)) from None
            self._apply(case, after)
            await record_event(s, case.session_id, "approval", who, approval=approval.value)
            return case

    async def add_note(self, case_no: str, who: Principal, sealed: dict[str, str]) -> Case:
        """Append a note (already sealed by the caller) to the timeline."""
        async with self._db.session() as s, s.begin():
            case = await self._locked(s, case_no, who)
            await record_event(s, case.session_id, "note", who, **sealed)
            return case

    async def assign(
        self, case_no: str, who: Principal, kind: str, ref: str, item_code: str
    ) -> Case:
        """Assign a page or document of the case's session to a checklist item (or move it)."""
        case = (await self.view(who, case_no=case_no)).case
        self.check_change(case, who)
        matter, _ = await self.matter_of(case)
        codes = {item.code for item in matter.materials} if matter is not None else set()
        if item_code not in codes:
            raise HubError(ErrorCode.BAD_MESSAGE, "item_code is not on this matter's checklist")
        async with self._db.session() as s, s.begin():
            case = await self._locked(s, case_no, who)
            await self.attachments.check(s, case, kind, ref)
            row = await s.scalar(
                select(CaseMaterial).where(
                    CaseMaterial.case_id == case.id, CaseMaterial.kind == kind,
                    CaseMaterial.ref == ref,
                )
            )  # fmt: skip
            if row is None:
                s.add(CaseMaterial(case_id=case.id, kind=kind, ref=ref, item_code=item_code,
                                   assigned_by=who.subject_id))  # fmt: skip
            else:
                row.item_code = item_code
                row.assigned_by = who.subject_id
                row.assigned_at = utcnow()
            await record_event(s, case.session_id, "checklist.assigned", who,
                               material=kind, ref=ref, item=item_code)  # fmt: skip
            return case

    async def unassign(self, case_no: str, who: Principal, kind: str, ref: str) -> Case:
        """Take a page or document off the checklist; not_found when it was not assigned."""
        async with self._db.session() as s, s.begin():
            case = await self._locked(s, case_no, who)
            row = await s.scalar(
                select(CaseMaterial).where(
                    CaseMaterial.case_id == case.id, CaseMaterial.kind == kind,
                    CaseMaterial.ref == ref,
                )
            )  # fmt: skip
            if row is None:
                raise HubError(ErrorCode.NOT_FOUND, "that material is not on the checklist")
            await s.delete(row)
            await record_event(s, case.session_id, "checklist.removed", who, material=kind, ref=ref)
            return case

    async def _locked(self, s: AsyncSession, case_no: str, who: Principal) -> Case:
        # Row lock (PostgreSQL): two officers' changes to one case apply one after the other.
        case = await s.scalar(select(Case).where(Case.case_no == case_no).with_for_update())
        if case is None:
            raise HubError(ErrorCode.NOT_FOUND, "no such case")
        self.check_read(case, who)
        self.check_change(case, who)
        return case

    @staticmethod
    def _apply(case: Case, status: CaseStatus) -> None:
        case.state = status.state.value
        case.approval_state = status.approval.value if status.approval else None
        case.outcome_reason = status.reason
        case.closed_at = status.closed_at

    # --- progress look-up ----------------------------------------------------

    async def match_last4(self, case_no: str, last4: str, key: bytes) -> Case | None:
        """The case when `last4` matches its digest; None otherwise (unknown or wrong alike)."""
        async with self._db.session() as s:
            case = await s.scalar(select(Case).where(Case.case_no == case_no))
        expected = last4_digest(key, case_no, last4)
        stored = case.last4_digest if case is not None else None
        # Compare even for a missing case so timing does not tell the two apart.
        ok = hmac.compare_digest(expected, stored or "0" * 64)
        return case if ok and stored is not None else None


async def case_number_of(db: Database, session_id: str) -> str | None:
    """The case number of a session's case (None when it has none)."""
    async with db.session() as s:
        return await s.scalar(select(Case.case_no).where(Case.session_id == session_id))


async def session_of_case(db: Database, case_no: str) -> str | None:
    """The session id of a case by its number (None when there is no such case)."""
    async with db.session() as s:
        return await s.scalar(select(Case.session_id).where(Case.case_no == case_no))
