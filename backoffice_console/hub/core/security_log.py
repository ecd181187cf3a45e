"""Every audit row also goes to the `vw.security` logger (the security log file).

The audit table is the record; the security log is its copy outside the database, kept
at least 180 days by `shared.logs.add_security_log`, so an operator can read who did what
even when the database is lost or rolled back from a backup. Rows are logged when they are
flushed: a row whose transaction then rolls back still appears, marked by its action alone.
Audit details hold no personal data, so nothing here needs masking (the log's redacting
filter stays in place anyway).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import event

from backoffice_console.hub.core.models import AuditEntry

security = logging.getLogger("vw.security")


def _logged(_mapper: Any, _connection: Any, row: AuditEntry) -> None:
    security.info(
        "audit %s by %s:%s session=%s %s",
        row.action,
        row.actor_kind,
        row.actor_id if row.actor_id is not None else "-",
        row.session_id or "-",
        json.dumps(row.detail or {}, ensure_ascii=False, sort_keys=True, default=str),
    )


def install() -> None:
    """Copy each audit row to the security logger from now on (idempotent)."""
    if not event.contains(AuditEntry, "after_insert", _logged):
        event.listen(AuditEntry, "after_insert", _logged)
