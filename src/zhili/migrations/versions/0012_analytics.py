"""Analytics: one fact row per case, the KPI summary cells, and the projector's mark

`case_facts` is what counting needs of each case; `kpi_cells` sums the facts per month, township,
matter and unit with additive measures and a 36-bucket histogram of handling times; `analytics_marks`
keeps the newest timeline line counted; `pilots` are reforms compared before and after. Filled by `zhili analytics refresh` (and the worker).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

FLAGS = (
    "is_open", "is_rejected", "is_closed", "is_complaint", "is_rated", "is_satisfied", "is_on_time", "is_reopened",
    "is_reworked", "is_returned", "phases_ended", "phases_late",
)  # fmt: skip
MEASURES = (
    "reported", "rejected", "open", "closed", "on_time", "complaints", "rated", "satisfied", "reopened",
    "reworked", "returned", "phases_ended", "phases_late",
)  # fmt: skip
SUMS = ("hours_sum", "log_hours_sum", "log_hours_sq_sum")
BUCKETS = tuple(f"h{k:02d}" for k in range(36))


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "case_facts",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=20), nullable=False),
        sa.Column("township_code", sa.String(length=20), nullable=False),
        sa.Column("matter_code", sa.String(length=60), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in FLAGS),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.Column("log_hours", sa.Float(), nullable=True),
        sa.Column("bucket", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_facts_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_facts")),
    )
    op.create_index("ix_case_facts_month_township", "case_facts", ["month", "township_code"])
    op.create_table(
        "kpi_cells",
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("township_code", sa.String(length=20), nullable=False),
        sa.Column("matter_code", sa.String(length=60), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=20), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in MEASURES),
        *(sa.Column(name, sa.Float(), nullable=False) for name in SUMS),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in BUCKETS),
        sa.PrimaryKeyConstraint("month", "township_code", "matter_code", "unit_id", name=op.f("pk_kpi_cells")),
    )
    op.create_index("ix_kpi_cells_county_month", "kpi_cells", ["county_code", "month"])
    op.create_index("ix_kpi_cells_unit_month", "kpi_cells", ["unit_id", "month"])
    op.create_table(
        "analytics_marks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_analytics_marks")),
    )
    op.create_table(
        "pilots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("matter_code", sa.String(length=60), nullable=False),
        sa.Column("area_code", sa.String(length=20), nullable=False),
        sa.Column("control_codes", sa.Text(), nullable=False),
        sa.Column("start_month", sa.Integer(), nullable=False),
        sa.Column("reported_handling", sa.Float(), nullable=True),
        sa.Column("reported_volume", sa.Float(), nullable=True),
        sa.Column("reported_complaints", sa.Float(), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pilots")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("pilots")
    op.drop_table("analytics_marks")
    op.drop_index("ix_kpi_cells_unit_month", table_name="kpi_cells")
    op.drop_index("ix_kpi_cells_county_month", table_name="kpi_cells")
    op.drop_table("kpi_cells")
    op.drop_index("ix_case_facts_month_township", table_name="case_facts")
    op.drop_table("case_facts")
