"""The audit log's hash chain (pure): how one row's hash is computed from its fields.

`row_hash = SHA-256(prev_hash | canonical JSON of the row)`, where the row is its
sequence number, time (ISO 8601, UTC, microseconds), actor, action, session and
detail (keys sorted). Changing any field, deleting or inserting a row, or
reordering rows breaks the chain at that row; `audit_verify.py` finds where.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

GENESIS = "0" * 64
"""The `prev_hash` of the first row."""


def canonical_time(at: dt.datetime) -> str:
    """The time as hashed: UTC, microseconds, whatever zone it came with."""
    if at.tzinfo is None:  # SQLite hands back naive UTC
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_digest(
    prev_hash: str,
    seq: int,
    *,
    at: dt.datetime,
    actor_kind: str,
    actor_id: int | None,
    action: str,
    session_id: str | None,
    detail: dict[str, Any],
) -> str:
    """The `row_hash` of a row with these fields that follows `prev_hash`."""
    body = json.dumps(
        [seq, canonical_time(at), actor_kind, actor_id, action, session_id, detail],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev_hash}|{body}".encode()).hexdigest()
