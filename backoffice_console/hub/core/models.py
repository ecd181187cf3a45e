"""The audit log: append-only, one row per thing done, each row chained to the one before.

Change a model only together with a new migration; the schema test checks they match.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from backoffice_console.hub.db import utcnow
from backoffice_console.hub.db.base import Base


class AuditEntry(Base):
    """Append-only record of who did what; `detail` never holds personal data.

    `seq`, `prev_hash` and `row_hash` are set as its transaction commits (`core/audit.py`):
    `row_hash` covers the row's fields and `prev_hash`, the `row_hash` of row `seq - 1`.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int | None] = mapped_column(Integer, unique=True, default=None)
    """Set at commit: a row flushed earlier in its transaction waits without it."""
    prev_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    row_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))  # user | device | hub
    actor_id: Mapped[int | None] = mapped_column(Integer, default=None)
    action: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditHead(Base):
    """The chain's one head row (id 1): the last sequence number and hash handed out.

    Every audit write updates it first, which serialises the writers of all hub
    instances (a row lock on PostgreSQL, the write lock on SQLite) so the chain never forks.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
