"""Material circulation over HTTP: originals travelling with a transmittal slip, hop by hop.

    issued -> at_point -> with_courier -> at_centre -> returned_to_point -> returned_to_resident

Hub: `backoffice_console/hub/circulation/routes.py` (`post_scan`, `get_list`, `get_detail`;
the rows are `CirculationService._json`). A hop that is not the next one answers
409 with a `CirculationConflict` (where it is and the next hop).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from shared.protocol.base import Model
from shared.protocol.http import ErrorBody

Hop = Literal["at_point", "with_courier", "at_centre", "returned_to_point", "returned_to_resident"]
CirculationState = Literal[
    "issued", "at_point", "with_courier", "at_centre", "returned_to_point", "returned_to_resident"
]


class ScanBody(BaseModel):
    """`POST /api/v1/circulation/scan`."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=300)
    hop: Literal[
        "at_point", "with_courier", "at_centre", "returned_to_point", "returned_to_resident"
    ]
    note: str = Field(default="", max_length=200)


class CirculationItem(Model):
    """An original on the slip (the slip's `SlipItem` as stored)."""

    code: str
    name: str
    copies: int
    pages: int | None
    note: str | None


class Circulation(Model):
    """One circulation: where the originals are and what comes next.

    The reply to `POST /api/v1/circulation/scan` and each row of `CirculationList`.
    """

    id: int
    code: str
    """The slip number (its QR code carries it)."""
    case_no: str
    session_id: str
    state: CirculationState
    next: Hop | None
    """The hop expected next (None once returned to the resident)."""
    location: str
    items: list[CirculationItem]
    created_at: datetime
    state_at: datetime
    """When the current state was reached."""
    overdue: bool
    limit_workdays: int | None
    """Working days the current state may last (None for the final one)."""


class CirculationList(RootModel[list[Circulation]]):
    """`GET /api/v1/circulation[?overdue=1]`: under way, overdue first, then longest waiting."""


class HopRecord(Model):
    """One recorded hand-over."""

    hop: Hop
    at: datetime
    by_kind: str
    """`user` or `device`."""
    by_id: int | None
    note: str


class CirculationDetail(Circulation):
    """`GET /api/v1/circulation/{code}`: one circulation with its hand-overs."""

    hops: list[HopRecord]


class CirculationConflict(ErrorBody):
    """409 to `POST /api/v1/circulation/scan`: not the next hop (nothing changed)."""

    state: CirculationState
    expected: Hop | None
    """The next hop (None: the circulation is finished)."""


class Originals(Model):
    """Where a session's originals are, as the resident's progress look-up shows it."""

    code: str
    state: CirculationState
    since: datetime
    items: list[str]
    """The originals' names."""
    overdue: bool


__all__ = [
    "Circulation",
    "CirculationConflict",
    "CirculationDetail",
    "CirculationItem",
    "CirculationList",
    "CirculationState",
    "Hop",
    "HopRecord",
    "Originals",
    "ScanBody",
]
