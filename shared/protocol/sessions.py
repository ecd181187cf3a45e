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
    """One audit entry; `detail` never holds personal data."""

    id: int
    at: datetime
    actor_kind: str
    """`user`, `device` or `hub`."""
    actor_id: int | None
    action: str
    session_id: str | None
    detail: dict[str, Any]


class AuditList(RootModel[list[AuditRow]]):
    """`GET /api/v1/audit[?session_id=]` (admins): audit entries, oldest first."""


__all__ = ["AuditList", "AuditRow", "SessionList", "SessionRow"]
