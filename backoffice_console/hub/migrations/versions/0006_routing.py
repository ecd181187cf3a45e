"""Routing: ticket priority and line, officers' qualified lines, transfers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("users") as batch:
        # Existing officers keep seeing every line.
        batch.add_column(sa.Column("lines", sa.JSON(), nullable=False, server_default='["*"]'))
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(
            sa.Column("priority", sa.String(16), nullable=False, server_default="normal")
        )
        batch.add_column(sa.Column("line", sa.String(64), nullable=True))
        batch.add_column(
            sa.Column("assistance", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("transfer_session_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("flagged_overdue_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("tickets") as batch:
        for column in ("flagged_overdue_at", "transfer_session_id", "assistance", "line"):
            batch.drop_column(column)
        batch.drop_column("priority")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("lines")
