"""Fleet registry: points history, devices, heartbeats, health, inspections, work orders.

Points that already exist (made by enrolment) get their first version on first
use by the fleet store (`FleetPoints.ensure_versions`), from the point's own
creation date, so history queries never show a point before it existed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "fleet_point_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("sub_district", sa.String(length=100), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        _ts("changed_at"),
        sa.ForeignKeyConstraint(["changed_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["point_id"], ["service_points.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_fleet_point_versions_point_from",
        "fleet_point_versions",
        ["point_id", "valid_from"],
        unique=False,
    )
    op.create_index(
        op.f("ix_fleet_point_versions_sub_district"),
        "fleet_point_versions",
        ["sub_district"],
        unique=False,
    )
    op.create_table(
        "fleet_hour_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("opens_min", sa.Integer(), nullable=False),
        sa.Column("closes_min", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _ts("created_at"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["point_id"], ["service_points.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_fleet_hour_rules_point_id"), "fleet_hour_rules", ["point_id"], unique=False
    )
    op.create_table(
        "fleet_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("serial", sa.String(length=100), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("serial"),
    )
    op.create_table(
        "fleet_installs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        _ts("installed_at"),
        _ts("removed_at", nullable=True),
        sa.Column("installed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["fleet_devices.id"]),
        sa.ForeignKeyConstraint(["installed_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["point_id"], ["service_points.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_fleet_installs_device_id"), "fleet_installs", ["device_id"], unique=False
    )
    op.create_index(
        op.f("ix_fleet_installs_point_id"), "fleet_installs", ["point_id"], unique=False
    )
    op.create_table(
        "fleet_kiosk_presence",
        sa.Column("kiosk_id", sa.Integer(), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        _ts("since"),
        sa.ForeignKeyConstraint(["kiosk_id"], ["kiosks.id"]),
        sa.PrimaryKeyConstraint("kiosk_id"),
    )
    op.create_table(
        "fleet_health_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kiosk_id", sa.Integer(), nullable=False),
        _ts("received_at"),
        sa.Column("failed", sa.JSON(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["kiosk_id"], ["kiosks.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_fleet_health_reports_kiosk", "fleet_health_reports", ["kiosk_id", "id"], unique=False
    )
    op.create_table(
        "fleet_inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("scheduled_by", sa.Integer(), nullable=True),
        _ts("done_at", nullable=True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["done_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["point_id"], ["service_points.id"]),
        sa.ForeignKeyConstraint(["scheduled_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_fleet_inspections_due_on"), "fleet_inspections", ["due_on"], unique=False
    )
    op.create_index(
        op.f("ix_fleet_inspections_point_id"), "fleet_inspections", ["point_id"], unique=False
    )
    op.create_table(
        "fleet_work_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("kiosk_id", sa.Integer(), nullable=True),
        sa.Column("part", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        _ts("opened_at"),
        sa.Column("opened_by", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        _ts("closed_at", nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("close_note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["closed_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["kiosk_id"], ["kiosks.id"]),
        sa.ForeignKeyConstraint(["opened_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["point_id"], ["service_points.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["fleet_health_reports.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_fleet_work_orders_open",
        "fleet_work_orders",
        ["closed_at", "kiosk_id", "part"],
        unique=False,
    )
    op.create_index(
        op.f("ix_fleet_work_orders_point_id"), "fleet_work_orders", ["point_id"], unique=False
    )


def downgrade() -> None:
    """Revert this revision."""
    for table in (
        "fleet_work_orders",
        "fleet_inspections",
        "fleet_health_reports",
        "fleet_kiosk_presence",
        "fleet_installs",
        "fleet_devices",
        "fleet_hour_rules",
        "fleet_point_versions",
    ):
        op.drop_table(table)
