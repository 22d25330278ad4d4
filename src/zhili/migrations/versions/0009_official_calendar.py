"""Official calendar: the years loaded by administrators and their days; the calendar basis of deadlines and timers

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 01:59:28.698602
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_years")),
    )
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["year"], ["calendar_years.year"], name=op.f("fk_calendar_days_year_calendar_years"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_days")),
    )
    with op.batch_alter_table("calendar_days", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_days_year"), ["year"], unique=False)

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phase_calendar_basis", sa.String(length=80), nullable=True))

    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_basis", sa.String(length=80), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_column("calendar_basis")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("phase_calendar_basis")

    with op.batch_alter_table("calendar_days", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_days_year"))

    op.drop_table("calendar_days")
    op.drop_table("calendar_years")
