"""The officer's side of the case record, without Qt: number, matter, checklist, outcome.

`CaseDesk.start(session_id)` (at `session.started`) reads the session's case
(`GET /api/v1/sessions/{id}/case`); `case.updated` pushes keep it current. The
officer assigns a page to a checklist item, adds notes and sets the outcome; the
desk keeps the case number after the call ends so the outcome can still be set.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from backoffice_console.model import ConsoleError
from shared.hubclient import HubError, HubRequestError, request_json
from shared.protocol import CaseUpdated, ChecklistItem
from shared.protocol.cases import CaseDetail, CaseEvent, ChecklistBody, NoteBody, OutcomeBody
from shared.protocol.http import invalid_text

log = logging.getLogger(__name__)

OUTCOMES = ("accepted", "completed", "needs_more", "not_eligible")
"""What the officer can set (the hub also allows `open` to reopen a needs_more case)."""
REASON_REQUIRED = frozenset({"needs_more", "not_eligible"})


@dataclass(frozen=True)
class TimelineEntry:
    """One event of the case as the panel lists it."""

    at: str
    kind: str
    text: str = ""
    """A note's text."""
    state: str | None = None
    """The outcome (state) or the approval an `outcome` / `approval` event set."""
    item: str | None = None
    """The checklist item code of a `checklist.*` event."""


@dataclass(frozen=True)
class CaseView:
    """What the case panel shows."""

    case_no: str | None = None
    matter_name: str | None = None
    state: str | None = None
    reason: str | None = None
    approval_state: str | None = None
    items: tuple[ChecklistItem, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    error_key: str | None = None
    error_detail: str | None = None

    def item_of(self, ref: str) -> str | None:
        """The checklist item a page (material id) is assigned to, if any."""
        for item in self.items:
            if ref in item.pages:
                return item.code
        return None


class CasesHub(Protocol):
    """The part of the hub client the desk uses."""

    async def get_json(self, path: str, **params: str) -> Any: ...
    async def post_json(self, path: str, payload: dict[str, Any]) -> Any: ...


def _timeline(events: list[CaseEvent]) -> tuple[TimelineEntry, ...]:
    entries = []
    for event in events:
        # An event's detail is free-form per kind (the hub's `record_event` callers).
        detail = event.detail
        state = detail.get("state") or detail.get("approval")
        item = detail.get("item")
        entries.append(
            TimelineEntry(
                at=event.at.isoformat(),
                kind=event.kind,
                text=str(detail.get("text") or "")[:200],
                state=str(state) if state else None,
                item=str(item) if item else None,
            )
        )
    return tuple(entries)


class CaseDesk:
    """The case of the current (or just finished) call."""

    def __init__(
        self,
        get_hub: Callable[[], CasesHub | None],
        on_change: Callable[[CaseView], None],
    ) -> None:
        self._get_hub = get_hub
        self._on_change = on_change
        self.session_id: str | None = None
        self.view = CaseView()

    def _set(self, view: CaseView) -> None:
        self.view = view
        self._on_change(view)

    def reset(self) -> None:
        """Forget the case (a new call started)."""
        self.session_id = None
        self._set(CaseView())

    async def start(self, session_id: str) -> None:
        """A call started: read its case (the hub opened it with the session)."""
        self.session_id = session_id
        self._set(CaseView())
        for delay in (0.0, 0.3, 1.0):  # the case exists once the take committed; be patient
            await asyncio.sleep(delay)
            try:
                await self.refresh()
                return
            except ConsoleError as exc:
                if exc.detail != "not_found":
                    return
        log.info("session %s has no case", session_id)

    def handle(self, message: Any) -> bool:
        """Take a `case.updated` for the current session; True when it was one."""
        if not isinstance(message, CaseUpdated):
            return False
        if message.session_id != self.session_id:
            return True  # another call's case: not ours to show
        self._set(replace(self.view, case_no=message.case_no, matter_name=message.matter_name,
                          state=message.state, approval_state=message.approval_state,
                          items=tuple(message.items)))  # fmt: skip
        return True

    async def _call(
        self, method: str, path: str, body: type[BaseModel] | None = None, **fields: Any
    ) -> Any:
        """GET `path`, or POST the request body `body(**fields)` to it (see `request_json`)."""
        hub = self._get_hub()
        if hub is None:
            raise ConsoleError("error.hub_unreachable")
        try:
            if method == "GET":
                return await hub.get_json(path)
            return await hub.post_json(path, request_json(body, **fields) if body else {})
        except HubRequestError as exc:
            self._set(replace(self.view, error_key="cases.error.refused", error_detail=exc.code))
            raise ConsoleError("cases.error.refused", exc.code) from None
        except HubError as exc:
            self._set(replace(self.view, error_key="error.hub_unreachable"))
            raise ConsoleError("error.hub_unreachable", str(exc)) from None

    async def refresh(self) -> CaseView:
        """Read the whole case (with its timeline) again."""
        if self.session_id is None:
            raise ConsoleError("error.not_in_call")
        data = await self._call("GET", f"/api/v1/sessions/{self.session_id}/case")
        try:
            case = CaseDetail.model_validate(data)
        except ValidationError as exc:
            detail = invalid_text(exc)
            log.warning("the hub's case is malformed: %s", detail)
            self._set(replace(self.view, error_key="cases.error.malformed", error_detail=detail))
            raise ConsoleError("cases.error.malformed", detail) from None
        view = CaseView(
            case_no=case.case_no,
            matter_name=case.matter_name or case.matter_code,
            state=case.state,
            reason=case.outcome_reason,
            approval_state=case.approval_state,
            items=tuple(case.items),
            timeline=_timeline(case.events),
        )
        self._set(view)
        return view

    def _case_path(self, tail: str) -> str:
        if self.view.case_no is None:
            raise ConsoleError("cases.error.no_case")
        return f"/api/v1/cases/{self.view.case_no}/{tail}"

    async def assign_page(self, material_id: int, item_code: str) -> None:
        """Assign a page to a checklist item (moves it when it was on another)."""
        await self._call(
            "POST",
            self._case_path("checklist"),
            ChecklistBody,
            kind="page",
            ref=str(material_id),
            item_code=item_code,
        )
        await self.refresh()

    async def add_note(self, text: str) -> None:
        """Add a note to the case's timeline."""
        if not text.strip():
            raise ConsoleError("cases.error.empty_note")
        await self._call("POST", self._case_path("notes"), NoteBody, text=text.strip()[:2000])
        await self.refresh()

    async def set_outcome(self, state: str, reason: str | None = None) -> None:
        """Set the outcome; `needs_more` and `not_eligible` need a reason (checked here too)."""
        if state not in (*OUTCOMES, "open"):
            raise ConsoleError("cases.error.bad_outcome", state)
        if state in REASON_REQUIRED and not (reason or "").strip():
            self._set(replace(self.view, error_key="cases.error.reason_required"))
            raise ConsoleError("cases.error.reason_required")
        fields: dict[str, Any] = {"state": state}
        if reason and reason.strip():
            fields["reason"] = reason.strip()[:500]
        await self._call("POST", self._case_path("outcome"), OutcomeBody, **fields)
        await self.refresh()
