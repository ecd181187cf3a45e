"""The resident's rating (好差评): levels, reason codes per level, and the request bodies.

Shared by the kiosk (which shows the choices) and the hub (which validates them).
Labels are translated through `shared.i18n.tr("evaluation", "level.N" / "reason.CODE")`.

Hub: `backoffice_console/hub/evaluation/routes.py` (the replies are built in
`evaluation/service.py`): a rating, a follow-up, the case's contact number, the
rectifications a supervisor closes.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, model_validator

from shared.protocol.base import Model

LEVELS = (5, 4, 3, 2, 1)
"""5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意 (shown in this order)."""

RECTIFY_AT_OR_BELOW = 2
"""A rating of 不满意 or worse opens a rectification."""

_GOOD = ("efficient", "patient", "clear", "helpful_staff")
_MIXED = ("wait_long", "unclear", "video_poor", "process_complex")
_BAD = ("wait_long", "attitude", "unclear", "not_done", "video_poor")

REASONS: dict[int, tuple[str, ...]] = {5: _GOOD, 4: _GOOD, 3: _MIXED, 2: _BAD, 1: _BAD}
"""The reason chips offered for each level (codes)."""

MAX_REASONS = 6


def _stripped(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


class RatingBody(BaseModel):
    """`POST /api/v1/sessions/{sid}/rating` (kiosk): the level and optional reason codes."""

    model_config = ConfigDict(extra="forbid")

    level: int = Field(ge=1, le=5)
    reasons: list[str] = Field(default_factory=list, max_length=MAX_REASONS)
    helper: Annotated[str | None, Field(max_length=64), AfterValidator(_stripped)] = None

    @model_validator(mode="after")
    def _reasons_fit_level(self) -> RatingBody:
        allowed = REASONS[self.level]
        unknown = [r for r in self.reasons if r not in allowed]
        if unknown:
            raise ValueError(f"reasons {unknown} do not belong to level {self.level}")
        if len(set(self.reasons)) != len(self.reasons):
            raise ValueError("reasons must not repeat")
        return self


class SkipBody(BaseModel):
    """`POST /api/v1/sessions/{sid}/rating/skip` (kiosk): the resident left without rating."""

    model_config = ConfigDict(extra="forbid")

    helper: Annotated[str | None, Field(max_length=64), AfterValidator(_stripped)] = None


class CloseRectificationBody(BaseModel):
    """`POST /api/v1/rectifications/{id}/close` (supervisor): the recorded call-back."""

    model_config = ConfigDict(extra="forbid")

    callback_at: dt.datetime
    callback_note: Annotated[str, Field(min_length=1, max_length=1000)]

    @model_validator(mode="after")
    def _aware_and_said(self) -> CloseRectificationBody:
        if self.callback_at.tzinfo is None:
            raise ValueError("callback_at needs a time zone")
        if not self.callback_note.strip():
            raise ValueError("callback_note must say what the call-back found")
        return self


class ContactBody(BaseModel):
    """`POST /api/v1/cases/{id}/contact` (the case's officer): the resident's phone number."""

    model_config = ConfigDict(extra="forbid")

    phone: Annotated[str, Field(pattern=r"^\+?[0-9]{6,15}$")]


def mask_phone(phone: str) -> str:
    """A phone number for display: first 3 and last 4 digits (`138****5678`)."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


# --- replies ---------------------------------------------------------------------


class RectificationRef(Model):
    """The rectification a low rating opened, with its deadline (a local working day)."""

    id: int
    deadline: dt.date


class RatingGiven(Model):
    """Reply to `POST /api/v1/sessions/{sid}/rating` (201)."""

    rating_id: int
    level: int
    case_id: int | None
    rectification: RectificationRef | None


class FollowUp(Model):
    """A follow-up of a session left without rating (`POST .../rating/skip` answers one)."""

    follow_up_id: int
    session_id: str
    case_id: int | None
    channel: str
    """`sms` or `none` (no phone on record)."""
    state: str
    """`pending`, `sent`, `failed` or `no_contact`."""
    source: str
    """`kiosk` (skipped there) or `sweep` (the hub noticed)."""
    created_at: dt.datetime


class FollowUpList(RootModel[list[FollowUp]]):
    """`GET /api/v1/follow-ups` (supervisors, admins): newest first."""


class SessionRating(Model):
    """`GET /api/v1/sessions/{sid}/rating`: the session's rating (404 when there is none)."""

    rating_id: int
    level: int
    reasons: list[str]
    helper: str | None
    at: dt.datetime
    rectification_id: int | None
    rectification_state: Literal["open", "closed"] | None


class RatingRow(Model):
    """One rating of `GET /api/v1/ratings?day=`."""

    session_id: str
    case_id: int | None
    level: int
    reasons: list[str]
    at: dt.datetime


class RatingList(RootModel[list[RatingRow]]):
    """`GET /api/v1/ratings?day=YYYY-MM-DD`: an officer's own, or (supervisor, admin) all."""


class ContactRecorded(Model):
    """Reply to `POST /api/v1/cases/{id}/contact`: the number masked."""

    case_id: int
    case_no: str
    phone: str
    """Masked (`138****5678`)."""


class Rectification(Model):
    """A rectification opened by a rating of 不满意 or worse."""

    id: int
    session_id: str
    case_id: int | None
    case_no: str | None
    level: int
    reasons: list[str]
    officer_id: int
    officer_name: str
    helper: str | None
    opened_at: dt.datetime
    deadline: dt.date
    workdays_left: int | None
    """Working days to the deadline (None once closed)."""
    state: Literal["open", "closed"]
    overdue: bool
    closed_by: int | None
    closed_at: dt.datetime | None
    callback_at: dt.datetime | None
    callback_note: str | None


class RectificationList(RootModel[list[Rectification]]):
    """`GET /api/v1/rectifications[?state=open|closed]`: open (overdue first), then closed.

    `POST /api/v1/rectifications/{id}/close` answers the closed `Rectification`.
    """
