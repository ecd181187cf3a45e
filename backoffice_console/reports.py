"""报表 for supervisors, admins and officers, without Qt: fetch a report, export CSV, fetch the PDF.

Talks to the hub's `/api/v1/reports` API (an officer gets only the cases he or she
holds; the hub decides). Figures arrive in seconds; the table shows minutes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

from pydantic import ValidationError

from backoffice_console.model import KeyedError
from shared.hubclient import HubError, HubRequestError
from shared.i18n import tr
from shared.protocol.http import invalid_text
from shared.protocol.reports import Report, ReportFigures

log = logging.getLogger(__name__)

REPORT_ROLES = ("supervisor", "admin", "officer")
GROUPINGS = ("day", "point", "officer", "line")
OUTCOMES = ("open", "accepted", "completed", "needs_more", "not_eligible")
LEVELS = ("5", "4", "3", "2", "1")
COLUMN_KEYS = (
    "col.group",
    "col.cases",
    "col.waiting_median",
    "col.handling_median",
    *(f"outcome.{o}" for o in OUTCOMES),
    "col.rated",
    "col.satisfied",
    "col.rating_mean",
    "col.open_rectifications",
)


class ReportsHub(Protocol):
    """What the controller needs of a logged-in hub client."""

    async def get_json(self, path: str, **params: str) -> Any: ...
    async def get_bytes(self, path: str) -> bytes: ...


class ReportsError(KeyedError):
    """A failed report action; `key` is a text in the `reports` i18n domain."""


@dataclass(frozen=True)
class ReportQuery:
    """Which report: local days `start`..`end` (both included), grouped `by`."""

    start: dt.date
    end: dt.date
    by: str = "day"

    def params(self) -> dict[str, str]:
        """The query parameters of the hub's report API."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "by": self.by}

    def file_name(self, suffix: str) -> str:
        """A default file name for an export."""
        return f"报表-{self.start.isoformat()}-{self.end.isoformat()}-{self.by}.{suffix}"


@dataclass(frozen=True)
class ReportView:
    """A report as the panel shows it: table cells per row, the total last."""

    query: ReportQuery
    scope: str
    rows: list[list[str]]
    total: list[str]
    cases: int


def _minutes(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 60:.1f}"


def row_cells(row: ReportFigures) -> list[str]:
    """One report row as table cells (see `COLUMN_KEYS`)."""
    rated = row.rated
    satisfied = row.ratings.get("5", 0) + row.ratings.get("4", 0)
    mean = row.rating_mean
    return [
        row.label,
        str(row.cases),
        _minutes(row.waiting_median_s),
        _minutes(row.handling_median_s),
        *(str(row.outcomes.get(o, 0)) for o in OUTCOMES),
        str(rated),
        f"{100 * satisfied / rated:.0f}%" if rated else "",
        "" if mean is None else f"{mean:.2f}",
        str(row.open_rectifications),
    ]


class ReportsController:
    """Loads reports and exports them; the hub client is looked up at each call."""

    def __init__(self, hub: Callable[[], ReportsHub | None]) -> None:
        self._hub = hub
        self.last: ReportView | None = None

    def _client(self) -> ReportsHub:
        client = self._hub()
        if client is None:
            raise ReportsError("error.offline")
        return client

    @staticmethod
    def _check(query: ReportQuery) -> None:
        if query.end < query.start:
            raise ReportsError("error.period")
        if query.by not in GROUPINGS:
            raise ReportsError("error.grouping")

    async def load(self, query: ReportQuery) -> ReportView:
        """Fetch the report for `query`."""
        self._check(query)
        try:
            data = await self._client().get_json("/api/v1/reports", **query.params())
        except HubRequestError as exc:
            raise ReportsError(_error_key(exc.code), exc.message) from None
        except HubError as exc:
            raise ReportsError("error.offline", str(exc)) from None
        try:
            report = Report.model_validate(data)
        except ValidationError as exc:
            log.warning("the hub's report is malformed: %s", invalid_text(exc))
            raise ReportsError("error.malformed", invalid_text(exc)) from None
        view = ReportView(
            query=query,
            scope=report.scope,
            rows=[row_cells(r) for r in report.rows],
            total=row_cells(report.total),
            cases=report.total.cases,
        )
        self.last = view
        return view

    async def fetch(self, query: ReportQuery, kind: str) -> bytes:
        """The report as `kind` "csv" or "pdf" bytes."""
        self._check(query)
        params = query.params()
        if kind == "csv":
            path = "/api/v1/reports?" + urlencode({**params, "format": "csv"})
        elif kind == "pdf":
            path = "/api/v1/reports/pdf?" + urlencode(params)
        else:
            raise ValueError(f"unknown export kind {kind!r}")
        try:
            return await self._client().get_bytes(path)
        except HubRequestError as exc:
            raise ReportsError(_error_key(exc.code), exc.message) from None
        except HubError as exc:
            raise ReportsError("error.offline", str(exc)) from None

    async def export(self, query: ReportQuery, kind: str, target: Path) -> Path:
        """Fetch the export and write it to `target` (replaced whole, never half-written)."""
        data = await self.fetch(query, kind)
        try:
            tmp = target.with_name(target.name + ".part")
            tmp.write_bytes(data)
            tmp.replace(target)
        except OSError as exc:
            raise ReportsError("error.save", str(exc)) from None
        log.info("report %s saved (%d bytes)", kind, len(data))
        return target


def _error_key(code: str) -> str:
    return {"forbidden": "error.forbidden", "bad_message": "error.period"}.get(code, "error.failed")


def column_titles() -> list[str]:
    """The table's column titles in the current language."""
    return [tr("reports", key) for key in COLUMN_KEYS]
