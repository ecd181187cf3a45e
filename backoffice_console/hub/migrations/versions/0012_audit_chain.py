"""The audit log becomes a hash chain: a sequence number and hashes on every row, one head.

The rows already there are chained here, oldest first, so `vw-hub audit verify` can
prove them too. The digest below is a copy of `core/chain.py` as it was when this
revision was written (a revision must not change when the code does later).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64


def _digest(prev: str, seq: int, row: Any) -> str:
    at = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=dt.UTC)
    detail = row.detail if isinstance(row.detail, dict) else json.loads(row.detail or "{}")
    body = json.dumps(
        [
            seq,
            at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            row.actor_kind,
            row.actor_id,
            row.action,
            row.session_id,
            detail,
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev}|{body}".encode()).hexdigest()


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_audit_log_seq", ["seq"])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    conn = op.get_bind()
    log = sa.table(
        "audit_log",
        sa.column("id", sa.Integer()),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("actor_kind", sa.String()),
        sa.column("actor_id", sa.Integer()),
        sa.column("action", sa.String()),
        sa.column("session_id", sa.String()),
        sa.column("detail", sa.JSON()),
        sa.column("seq", sa.Integer()),
        sa.column("prev_hash", sa.String()),
        sa.column("row_hash", sa.String()),
    )
    prev, seq = GENESIS, 0
    rows = conn.execute(sa.select(log).order_by(log.c.id)).all()
    for row in rows:
        seq += 1
        digest = _digest(prev, seq, row)
        conn.execute(
            sa.update(log)
            .where(log.c.id == row.id)
            .values(seq=seq, prev_hash=prev, row_hash=digest)
        )
        prev = digest
    op.bulk_insert(head, [{"id": 1, "last_seq": seq, "last_hash": prev}])


def downgrade() -> None:
    """Revert this revision (the chain's columns and head are dropped)."""
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_constraint("uq_audit_log_seq", type_="unique")
        batch.drop_column("row_hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")
