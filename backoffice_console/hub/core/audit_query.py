"""Reading the audit log: filters, newest-first pages with a cursor, CSV export.

A page holds the newest rows matching the filter, below a cursor (`before`, a
sequence number); its `next_cursor` asks for the page after it. Sequence numbers
come from the chain, so a page never skips or repeats a row while others are
written. A date (`2026-12-07`) in a range means that day in the hub's local zone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, false, select

from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.models import AuditEntry
from shared.protocol import ErrorCode

PAGE_MAX = 500
CSV_MAX = 100_000
"""The most rows one CSV export holds (narrow the filter for more)."""
CSV_COLUMNS = ("seq", "id", "at", "actor_kind", "actor_id", "action", "session_id", "detail",
               "row_hash")  # fmt: skip


@dataclass(frozen=True)
class AuditFilter:
    """Which rows: by actor, action (`auth.*` for a prefix), session or case, and time."""

    actor_kind: str | None = None
    actor_id: int | None = None
    action: str | None = None
    session_id: str | None = None
    case_no: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def detail(self) -> dict[str, Any]:
        """The filter as the `audit.read` row records it (what was asked, not what was seen)."""
        return {
            k: (v.isoformat() if isinstance(v, dt.datetime) else v)
            for k, v in vars(self).items()
            if v is not None
        }

    def apply(self, query: Select[Any], session_of_case: str | None) -> Select[Any]:
        """`query` narrowed to this filter (`session_of_case`: the case's session, looked up)."""
        e = AuditEntry
        if self.actor_kind is not None:
            query = query.where(e.actor_kind == self.actor_kind)
        if self.actor_id is not None:
            query = query.where(e.actor_id == self.actor_id)
        if self.action is not None:
            if self.action.endswith("*"):
                query = query.where(e.action.startswith(self.action[:-1], autoescape=True))
            else:
                query = query.where(e.action == self.action)
        if self.session_id is not None:
            query = query.where(e.session_id == self.session_id)
        if self.case_no is not None:
            found = e.session_id == session_of_case if session_of_case else false()
            query = query.where(found)
        if self.since is not None:
            query = query.where(e.at >= self.since)
        if self.until is not None:
            query = query.where(e.at < self.until)
        return query


def _int(query: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise HubError(ErrorCode.BAD_MESSAGE, f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise HubError(ErrorCode.BAD_MESSAGE, f"{name} must be between {low} and {high}")
    return value


def _time(query: Mapping[str, str], name: str, end: bool) -> dt.datetime | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        if len(raw) == 10:  # a day: its start, or (for `to`) the next day's start
            day = dt.date.fromisoformat(raw) + dt.timedelta(days=1 if end else 0)
            return dt.datetime.combine(day, dt.time()).astimezone()
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise HubError(ErrorCode.BAD_MESSAGE, f"{name}: a date or an ISO 8601 time") from None
    if value.tzinfo is None:
        raise HubError(ErrorCode.BAD_MESSAGE, f"{name}: a time needs its zone (Z or +08:00)")
    return value


def parse_filter(query: Mapping[str, str]) -> AuditFilter:
    """The filter of `GET /api/v1/audit`'s query; HubError bad_message for bad values."""
    kind = query.get("actor_kind") or None
    if kind is not None and kind not in ("user", "device", "hub"):
        raise HubError(ErrorCode.BAD_MESSAGE, "actor_kind must be user, device or hub")
    texts = {}
    for name in ("action", "session_id", "case"):
        value = query.get(name) or None
        if value is not None and len(value) > 64:
            raise HubError(ErrorCode.BAD_MESSAGE, f"{name}: at most 64 characters")
        texts[name] = value
    since, until = _time(query, "from", end=False), _time(query, "to", end=True)
    if since is not None and until is not None and until <= since:
        raise HubError(ErrorCode.BAD_MESSAGE, "to must come after from")
    return AuditFilter(
        actor_kind=kind,
        actor_id=_int(query, "actor_id", 0, 2**31 - 1),
        action=texts["action"],
        session_id=texts["session_id"],
        case_no=texts["case"],
        since=since,
        until=until,
    )


def page_bounds(query: Mapping[str, str]) -> tuple[int | None, int]:
    """(`before` cursor, `limit`) of a page request."""
    before = _int(query, "before", 1, 2**62)
    limit = _int(query, "limit", 1, PAGE_MAX) or 100
    return before, limit


def newest_first(
    flt: AuditFilter, session_of_case: str | None, before: int | None, limit: int
) -> Select[Any]:
    """The rows of one page, newest (highest sequence number) first."""
    query = flt.apply(select(AuditEntry), session_of_case)
    if before is not None:
        query = query.where(AuditEntry.seq < before)
    return query.where(AuditEntry.seq.is_not(None)).order_by(AuditEntry.seq.desc()).limit(limit)


def row_json(e: AuditEntry) -> dict[str, Any]:
    """One row as the API sends it."""
    return {
        "id": e.id,
        "seq": e.seq,
        "at": e.at.isoformat(),
        "actor_kind": e.actor_kind,
        "actor_id": e.actor_id,
        "action": e.action,
        "session_id": e.session_id,
        "detail": e.detail,
        "row_hash": e.row_hash,
    }


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def rows_csv(rows: list[AuditEntry]) -> bytes:
    """Rows as CSV, UTF-8 with a BOM so Excel reads the Chinese right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in rows:
        data = row_json(e)
        data["detail"] = json.dumps(e.detail, ensure_ascii=False, sort_keys=True)
        writer.writerow([_cell(data[c]) for c in CSV_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
