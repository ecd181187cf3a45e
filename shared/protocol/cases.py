"""Cases: what the hub pushes about a session's case record and its checklist.

`CaseUpdated` goes to the console holding the session whenever the case changes
(outcome, notes, checklist). `ChecklistStatus` goes to the kiosk: the matter's
checklist, each item done or missing, and nothing personal. The case itself is
read and changed over HTTPS (`/api/v1/sessions/{id}/case`, `/api/v1/cases/...`).

Over HTTP (hub: `backoffice_console/hub/cases/routes.py`; `summary`, `CaseService.full`
and `CaseService.progress` in `cases/service.py` build the replies): a case's summary
(`CaseSummary`, the reply to every change), the whole case with its timeline
(`CaseDetail`), the list (`CaseList`) and the resident's progress look-up at a kiosk
(`Progress`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from shared.protocol.base import Message, Model, SessionId, ShortText
from shared.protocol.circulation import Originals

CaseNo = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9-]+$")]
ItemCode = Annotated[str, Field(min_length=1, max_length=64)]
CaseStateName = Literal["open", "accepted", "completed", "needs_more", "not_eligible"]
ApprovalState = Literal["pending", "approved", "rejected"]
MAX_REASON = 500
"""The longest outcome or approval reason."""


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


# --- HTTP: request bodies ------------------------------------------------------------


class OutcomeBody(BaseModel):
    """`POST /api/v1/cases/{case_no}/outcome`."""

    model_config = ConfigDict(extra="forbid")

    state: Literal["open", "accepted", "completed", "needs_more", "not_eligible"]
    reason: Annotated[str, Field(max_length=MAX_REASON)] | None = None


class ApprovalBody(BaseModel):
    """`POST /api/v1/cases/{case_no}/approval` (supervisor/admin)."""

    model_config = ConfigDict(extra="forbid")

    approval: Literal["approved", "rejected"]
    reason: Annotated[str, Field(max_length=MAX_REASON)] | None = None


class NoteBody(BaseModel):
    """`POST /api/v1/cases/{case_no}/notes`."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Field(min_length=1, max_length=2000)]


class ChecklistBody(BaseModel):
    """`POST` / `DELETE /api/v1/cases/{case_no}/checklist`."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["page", "document"]
    ref: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    item_code: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class ProgressBody(BaseModel):
    """`POST /api/v1/progress` (kiosk): case number plus the ID number's last four."""

    model_config = ConfigDict(extra="forbid")

    case_no: CaseNo
    last4: Annotated[str, Field(pattern=r"^[0-9]{3}[0-9Xx]$")]


# --- HTTP: replies --------------------------------------------------------------------


class CaseSummary(Model):
    """A case without its timeline: each row of `CaseList`, and the reply to every change.

    `POST /api/v1/cases/{case_no}/outcome`, `.../approval`, `.../notes`, and
    `POST` / `DELETE .../checklist` answer the case's summary after the change.
    """

    case_no: str
    session_id: str
    officer_id: int
    matter_code: str | None
    matter_name: str | None
    line_code: str | None
    line_name: str | None
    catalogue_version_id: int | None
    """The catalogue version the case was opened under (its matter and checklist)."""
    state: CaseStateName
    outcome_reason: str | None
    approval_state: ApprovalState | None
    opened_at: datetime
    closed_at: datetime | None
    has_identity: bool
    items: list[ChecklistItem]


class CaseList(RootModel[list[CaseSummary]]):
    """`GET /api/v1/cases?state=&officer_id=&limit=`: newest first."""


class CaseEvent(Model):
    """One event of a case's timeline; a note's `detail` is `{"text"}` (opened by the hub)."""

    at: datetime
    kind: str
    actor_kind: str
    actor_id: int | None
    detail: dict[str, Any]


class CaseIdentity(Model):
    """The case's resident: name and masked ID number (the read is audited)."""

    name: str
    id_number: str


class CaseDetail(CaseSummary):
    """`GET /api/v1/sessions/{id}/case` and `GET /api/v1/cases/{case_no}`: the whole case."""

    events: list[CaseEvent]
    identity: CaseIdentity | None


class ProgressEvent(Model):
    """A public event of the progress timeline (opened, outcome, approval, reopened)."""

    at: datetime
    kind: str
    state: str | None
    """The outcome or approval the event set."""


class Progress(Model):
    """Reply to `POST /api/v1/progress`: state, matter and public timeline (no personal data)."""

    case_no: str
    state: CaseStateName
    approval_state: ApprovalState | None
    matter_name: str | None
    matter_name_en: str | None
    line_name: str | None
    opened_at: datetime
    closed_at: datetime | None
    timeline: list[ProgressEvent]
    originals: list[Originals]
    """Where the case's originals are (empty without a transmittal slip)."""


__all__ = [
    "MAX_REASON",
    "ApprovalBody",
    "ApprovalState",
    "CaseDetail",
    "CaseEvent",
    "CaseIdentity",
    "CaseList",
    "CaseNo",
    "CaseStateName",
    "CaseSummary",
    "CaseUpdated",
    "ChecklistBody",
    "ChecklistItem",
    "ChecklistStatus",
    "KioskItem",
    "NoteBody",
    "OutcomeBody",
    "Progress",
    "ProgressBody",
    "ProgressEvent",
]
