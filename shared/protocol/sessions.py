"""Call sessions over HTTP: an officer's (or an admin's) list of sessions and the audit log.

Hub: `backoffice_console/hub/calls/routes.py` (`sessions`, `session_detail`) and
`core/routes.py` (`audit`); the rows are built by `CallStore.list_sessions`
(calls/store.py) and `AuditLog.entries` (core/audit.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import RootModel

from shared.protocol.base import Model


class SessionRow(Model):
    """One call session: `GET /api/v1/sessions/{id}`, and each row of `GET /api/v1/sessions`."""

    session_id: str
    ticket_id: int
    officer_id: int
    point_name: str
    kiosk_name: str
    officer_name: str
    matter: str | None
    """The matter's code (None: the resident chose none)."""
    matter_name: str | None
    """The matter's name in the current catalogue (None when it has no such matter)."""
    started_at: datetime
    offer_at: datetime | None
    answered_at: datetime | None
    connected_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    ended_by: str | None
    reconnects: int


class SessionList(RootModel[list[SessionRow]]):
    """`GET /api/v1/sessions?day=YYYY-MM-DD`: the day's sessions, oldest first."""


class AuditRow(Model):
    """One audit entry; `detail` never holds personal data.

    `seq` is its place in the hash chain and `row_hash` its link (`vw-hub audit verify`).
    """

    id: int
    seq: int
    at: datetime
    actor_kind: str
    """`user`, `device` or `hub`."""
    actor_id: int | None
    action: str
    session_id: str | None
    detail: dict[str, Any]
    row_hash: str


class AuditPage(Model):
    """`GET /api/v1/audit`: the newest matching rows first; `next_cursor` is the `before=`
    of the next page (None: this was the last).

    Filters: `actor_kind`, `actor_id`, `action` (`auth.*` for a prefix), `session_id`,
    `case` (a case number), `from`/`to` (a date, or an ISO 8601 time with its zone);
    `limit` (1-500, 100); `format=csv` for all matching rows as CSV.
    """

    entries: list[AuditRow]
    next_cursor: int | None


__all__ = ["AuditPage", "AuditRow", "SessionList", "SessionRow"]
