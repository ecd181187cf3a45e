"""Reports over HTTP: cases per day, service point, officer or line.

Hub: `backoffice_console/hub/reports/routes.py` (`get_report`; the JSON is
`Report.to_json()` and `ReportRow.to_json()` of reports/service.py). The same report as
CSV (`&format=csv`) and as a PDF (`GET /api/v1/reports/pdf`) is binary.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from shared.protocol.base import Model


class ReportFigures(Model):
    """The figures of one group, or of the whole period (`Report.total`); times in seconds."""

    key: str
    """The group: a local day (YYYY-MM-DD), a point or officer id, a line code; `total`."""
    label: str
    cases: int
    waiting_median_s: float | None
    waiting_mean_s: float | None
    handling_median_s: float | None
    handling_mean_s: float | None
    outcomes: dict[str, int]
    """Cases per state (open, accepted, completed, needs_more, not_eligible)."""
    ratings: dict[str, int]
    """Ratings per level, the level as text ("5" ... "1")."""
    rated: int
    rating_mean: float | None
    open_rectifications: int


class Report(Model):
    """`GET /api/v1/reports?from=YYYY-MM-DD&to=YYYY-MM-DD&by=day|point|officer|line`."""

    from_: date = Field(alias="from")
    to: date
    by: Literal["day", "point", "officer", "line"]
    scope: Literal["all", "own"]
    """`own`: an officer's own cases only."""
    rows: list[ReportFigures]
    total: ReportFigures


__all__ = ["Report", "ReportFigures"]
