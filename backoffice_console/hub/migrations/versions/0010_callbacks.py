"""Call-back requests.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("kiosk_id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("matter_code", sa.String(length=64), nullable=False),
        sa.Column("catalogue_version_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("nonce", sa.LargeBinary(length=12), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("done_note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["done_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["kiosk_id"], ["kiosks.id"]),
        sa.ForeignKeyConstraint(["point_id"], ["service_points.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref"),
    )
    op.create_index(
        op.f("ix_callback_requests_created_at"), "callback_requests", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_callback_requests_kiosk_id"), "callback_requests", ["kiosk_id"], unique=False
    )
    op.create_index(
        op.f("ix_callback_requests_point_id"), "callback_requests", ["point_id"], unique=False
    )
    op.create_index(
        op.f("ix_callback_requests_state"), "callback_requests", ["state"], unique=False
    )


def downgrade() -> None:
    """Revert this revision."""
    for column in ("state", "point_id", "kiosk_id", "created_at"):
        op.drop_index(op.f(f"ix_callback_requests_{column}"), table_name="callback_requests")
    op.drop_table("callback_requests")
