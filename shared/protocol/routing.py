"""Routing messages (issue 6): take the next ticket by the rules, transfer a live call.

A transfer keeps the session id: everything stored under the session (identity,
pages, documents, the case) stays with the call. To an officer: the old console
gets `session.ended` (reason "transferred"), the new one `session.started` for the
same session, and the kiosk `session.transferred` (it builds a new peer connection
and offers again under the same session). To a line: the call waits as a ticket of
priority "transfer"; the kiosk gets `session.transferred` with `waiting` set, then
again with the new officer's name when one takes it.

Over HTTP (hub: `backoffice_console/hub/routing/routes.py`): the officers who take
calls (`OfficerList`), an officer's lines (`LinesBody` -> `LinesReply`), the
catalogue's lines (`LineList`) and where a live call can go (`TransferTargets`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

from shared.catalogue.model import Line
from shared.protocol.base import DbId, Message, Model, Request, SessionId, ShortText

LineCode = Annotated[str, Field(min_length=1, max_length=64)]


class TicketNext(Request):
    """Console: take the next ticket for me by the queue's rules (my lines only)."""

    type: Literal["ticket.next"] = "ticket.next"


class SessionTransfer(Request):
    """Console, holding officer: hand the live call to an officer or to a line's queue."""

    type: Literal["session.transfer"] = "session.transfer"
    session_id: SessionId
    to_officer_id: DbId | None = None
    to_line: LineCode | None = None
    note: ShortText | None = None

    @model_validator(mode="after")
    def _one_target(self) -> SessionTransfer:
        if (self.to_officer_id is None) == (self.to_line is None):
            raise ValueError("give exactly one of to_officer_id and to_line")
        return self


class SessionTransferred(Message):
    """To the kiosk: the call moves to another officer; start a new peer connection.

    `waiting` True: no officer yet (queued to a line); wait for the next notice.
    """

    type: Literal["session.transferred"] = "session.transferred"
    session_id: SessionId
    waiting: bool = False
    peer_name: ShortText | None = None


# --- HTTP ----------------------------------------------------------------------


class LinesBody(BaseModel):
    """`PUT /api/v1/routing/officers/{user_id}/lines`."""

    model_config = ConfigDict(extra="forbid")

    lines: list[str] = Field(min_length=1, max_length=100)


class LinesReply(Model):
    """Reply to `PUT /api/v1/routing/officers/{user_id}/lines`: the lines as stored."""

    user_id: int
    lines: list[str]


class OfficerRow(Model):
    """An active user who takes calls, with the lines he or she is qualified for."""

    id: int
    display_name: str
    lines: list[str]
    """Line codes; `*` is every line."""
    role: str
    """A `Role` value (those who take calls: officer, admin)."""
    online: bool
    busy: bool
    """In a call now."""


class OfficerList(RootModel[list[OfficerRow]]):
    """`GET /api/v1/routing/officers[?line=]`."""


class LineList(RootModel[list[Line]]):
    """`GET /api/v1/routing/lines`: the current catalogue's lines."""


class TargetOfficer(Model):
    """An online, free officer qualified for the call's line."""

    id: int
    display_name: str
    lines: list[str]


class TransferTargets(Model):
    """`GET /api/v1/routing/sessions/{id}/targets`: the call's line and where it can go."""

    line: str | None
    officers: list[TargetOfficer]
    lines: list[Line]
