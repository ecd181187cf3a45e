"""Cases: what the hub pushes about a session's case record and its checklist.

`CaseUpdated` goes to the console holding the session whenever the case changes
(outcome, notes, checklist). `ChecklistStatus` goes to the kiosk: the matter's
checklist, each item done or missing, and nothing personal. The case itself is
read and changed over HTTPS (`/api/v1/sessions/{id}/case`, `/api/v1/cases/...`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from shared.protocol.base import Message, Model, SessionId, ShortText

CaseNo = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9-]+$")]
ItemCode = Annotated[str, Field(min_length=1, max_length=64)]
CaseStateName = Literal["open", "accepted", "completed", "needs_more", "not_eligible"]


class ChecklistItem(Model):
    """One item of the matter's checklist with what is assigned to it."""

    code: ItemCode
    name: ShortText
    name_en: ShortText | None = None
    optional: bool = False
    original_required: bool = False
    pages: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=200)
    """Refs (material ids) of the pages assigned to the item."""
    documents: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=50
    )
    """Refs (document ids) of the signed forms assigned to the item."""

    @property
    def done(self) -> bool:
        """Whether anything is assigned to the item."""
        return bool(self.pages or self.documents)


class CaseUpdated(Message):
    """Hub -> holding console: the case summary after a change."""

    type: Literal["case.updated"] = "case.updated"
    session_id: SessionId
    case_no: CaseNo
    matter_code: ShortText | None = None
    matter_name: ShortText | None = None
    state: CaseStateName
    approval_state: Literal["pending", "approved", "rejected"] | None = None
    items: list[ChecklistItem] = Field(default_factory=list, max_length=50)


class KioskItem(Model):
    """A checklist item as the kiosk shows it: name and done or missing."""

    code: ItemCode
    name: ShortText
    name_en: ShortText | None = None
    optional: bool = False
    done: bool


class ChecklistStatus(Message):
    """Hub -> kiosk: the matter's checklist, each item done or missing (no personal data)."""

    type: Literal["checklist.status"] = "checklist.status"
    session_id: SessionId
    matter_name: ShortText | None = None
    items: list[KioskItem] = Field(default_factory=list, max_length=50)


__all__ = [
    "CaseNo",
    "CaseStateName",
    "CaseUpdated",
    "ChecklistItem",
    "ChecklistStatus",
    "KioskItem",
]
