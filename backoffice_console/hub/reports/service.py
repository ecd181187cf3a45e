"""Reports (issue 6): cases per day, service point, officer or line, as JSON, CSV or PDF.

- `GET /api/v1/reports?from=YYYY-MM-DD&to=YYYY-MM-DD&by=day|point|officer|line`
  (supervisor and admin see every case; an officer only the cases he or she holds;
  technicians and kiosks are refused). Days are the hub's local calendar days, both
  ends included, at most `MAX_DAYS`. `&format=csv` answers UTF-8 CSV with a BOM (Excel).
- `GET /api/v1/reports/pdf?...` the same report as a PDF with charts (`pdf.py`).
  (Routes in `routes.py`.)

A row counts the cases opened in the period: waiting time (ticket created -> taken),
handling time (session started -> ended, ended sessions only), outcomes by case state,
the rating distribution (levels 5 非常满意 ... 1 非常不满意) and the rectifications still
open. One SQL query (`store.case_facts`) reads one line per case; medians and local days
are computed here, as neither has a portable SQL form. Every report read is audited
(`report.read`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from backoffice_console.hub.catalogue import CatalogueStore
from backoffice_console.hub.core.audit import AuditLog
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db import Database
from backoffice_console.hub.reports.store import CaseFacts, case_facts
from shared.i18n import tr
from shared.protocol import ErrorCode, Role
from shared.protocol.wirejson import DAY_MAX, DAY_MIN, parse_day

GROUPINGS = ("day", "point", "officer", "line")
OUTCOMES = ("open", "accepted", "completed", "needs_more", "not_eligible")
LEVELS = (5, 4, 3, 2, 1)
MAX_DAYS = 366
READERS = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.OFFICER})


@dataclass
class ReportRow:
    """The figures of one group (or of the whole period: the total)."""

    key: str
    label: str
    cases: int = 0
    waiting: list[float] = field(default_factory=list)
    handling: list[float] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    ratings: dict[int, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    open_rectifications: int = 0

    def add(self, case: CaseFacts) -> None:
        """Count one case in this row."""
        self.cases += 1
        if case.waiting_s is not None:
            self.waiting.append(case.waiting_s)
        if case.handling_s is not None:
            self.handling.append(case.handling_s)
        self.outcomes[case.state] = self.outcomes.get(case.state, 0) + 1
        if case.rating in self.ratings:
            self.ratings[case.rating] += 1
        self.open_rectifications += case.open_rectifications

    def to_json(self) -> dict[str, Any]:
        """The row as the API returns it (times in seconds, one decimal)."""
        rated = sum(self.ratings.values())
        return {
            "key": self.key,
            "label": self.label,
            "cases": self.cases,
            "waiting_median_s": _round(statistics.median(self.waiting) if self.waiting else None),
            "waiting_mean_s": _round(statistics.fmean(self.waiting) if self.waiting else None),
            "handling_median_s": _round(
                statistics.median(self.handling) if self.handling else None
            ),
            "handling_mean_s": _round(statistics.fmean(self.handling) if self.handling else None),
            "outcomes": dict(self.outcomes),
            "ratings": {str(level): n for level, n in self.ratings.items()},
            "rated": rated,
            "rating_mean": _round(
                sum(level * n for level, n in self.ratings.items()) / rated if rated else None,
                2,
            ),
            "open_rectifications": self.open_rectifications,
        }


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def parse_period(first: str | None, last: str | None) -> tuple[dt.date, dt.date]:
    """`from` and `to` query values as dates (today by default); HubError when malformed."""
    today = dt.datetime.now().astimezone().date()
    start = parse_day(first) if first else today
    end = parse_day(last) if last else start
    if start is None or end is None:
        raise HubError(
            ErrorCode.BAD_MESSAGE, f"from and to must be days YYYY-MM-DD, {DAY_MIN} to {DAY_MAX}"
        )
    if end < start:
        raise HubError(ErrorCode.BAD_MESSAGE, "to is before from")
    if (end - start).days + 1 > MAX_DAYS:
        raise HubError(ErrorCode.BAD_MESSAGE, f"at most {MAX_DAYS} days per report")
    return start, end


def group_rows(
    cases: list[CaseFacts], by: str, line_names: dict[str, str] | None = None
) -> tuple[list[ReportRow], ReportRow]:
    """Rows per group (days in order, the others by name) and the total row."""
    names = line_names or {}
    key_of: dict[str, Callable[[CaseFacts], tuple[str, str]]] = {
        "day": lambda c: (d := c.opened_at.astimezone().date().isoformat(), d),
        "point": lambda c: (str(c.point_id), c.point_name),
        "officer": lambda c: (str(c.officer_id), c.officer_name),
        "line": lambda c: (
            c.line_code or "",
            names.get(c.line_code or "", c.line_code or tr("reports", "no_line")),
        ),
    }
    if by not in key_of:
        raise HubError(ErrorCode.BAD_MESSAGE, f"by must be one of {', '.join(GROUPINGS)}")
    rows: dict[str, ReportRow] = {}
    total = ReportRow(key="total", label=tr("reports", "total"))
    for case in cases:
        key, label = key_of[by](case)
        rows.setdefault(key, ReportRow(key=key, label=label)).add(case)
        total.add(case)
    # Days in order; points, officers and lines by name (ids would look random to a reader).
    ordered = sorted(rows.values(), key=lambda r: r.key if by == "day" else (r.label, r.key))
    return ordered, total


@dataclass(frozen=True)
class Report:
    """A computed report: its period, grouping, scope and rows."""

    start: dt.date
    end: dt.date
    by: str
    scope: str  # all | own
    rows: list[dict[str, Any]]
    total: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The report as the API returns it."""
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "by": self.by,
            "scope": self.scope,
            "rows": self.rows,
            "total": self.total,
        }


async def build_report(
    db: Database,
    start: dt.date,
    end: dt.date,
    by: str,
    *,
    officer_id: int | None = None,
    line_names: dict[str, str] | None = None,
) -> Report:
    """Compute a report (`officer_id` given: that officer's cases only)."""
    if by not in GROUPINGS:
        raise HubError(ErrorCode.BAD_MESSAGE, f"by must be one of {', '.join(GROUPINGS)}")
    cases = await case_facts(db, start, end, officer_id)
    rows, total = group_rows(cases, by, line_names)
    return Report(
        start=start,
        end=end,
        by=by,
        scope="all" if officer_id is None else "own",
        rows=[r.to_json() for r in rows],
        total=total.to_json(),
    )


def _minutes(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 60:.1f}"


CSV_KEYS = (
    "col.group",
    "col.cases",
    "col.waiting_median",
    "col.waiting_mean",
    "col.handling_median",
    "col.handling_mean",
    *(f"outcome.{o}" for o in OUTCOMES),
    "col.rated",
    *(f"rating.{level}" for level in LEVELS),
    "col.rating_mean",
    "col.open_rectifications",
)


def table_cells(row: dict[str, Any]) -> list[str]:
    """One report row as the cells of the CSV and the PDF table (times in minutes)."""
    return [
        row["label"],
        str(row["cases"]),
        _minutes(row["waiting_median_s"]),
        _minutes(row["waiting_mean_s"]),
        _minutes(row["handling_median_s"]),
        _minutes(row["handling_mean_s"]),
        *(str(row["outcomes"].get(o, 0)) for o in OUTCOMES),
        str(row["rated"]),
        *(str(row["ratings"][str(level)]) for level in LEVELS),
        "" if row["rating_mean"] is None else f"{row['rating_mean']:.2f}",
        str(row["open_rectifications"]),
    ]


def report_csv(report: Report) -> bytes:
    """The report as CSV: UTF-8 with a BOM (Excel opens it as UTF-8), header, rows, total."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([tr("reports", key) for key in CSV_KEYS])
    for row in [*report.rows, report.total]:
        writer.writerow(table_cells(row))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


class Reports:
    """Reports on the hub's cases, with the current catalogue's line names; every read audited."""

    def __init__(self, db: Database, catalogue: CatalogueStore, audit: AuditLog) -> None:
        self._db = db
        self._catalogue = catalogue
        self._audit = audit

    async def line_names(self) -> dict[str, str]:
        """Line code -> name in the current catalogue."""
        _, catalogue = await self._catalogue.current()
        return {line.code: line.name for line in catalogue.lines}

    async def read(self, who: Principal, start: dt.date, end: dt.date, by: str) -> Report:
        """The report `who` may see (an officer: his or her own cases), audited `report.read`."""
        own = who.subject_id if who.role is Role.OFFICER else None
        report = await build_report(
            self._db, start, end, by, officer_id=own, line_names=await self.line_names()
        )
        await self._audit.write(
            who,
            "report.read",
            None,
            start=start.isoformat(),
            end=end.isoformat(),
            by=by,
            scope=report.scope,
        )
        return report


REPORTS_KEY = web.AppKey("reports", Reports)
