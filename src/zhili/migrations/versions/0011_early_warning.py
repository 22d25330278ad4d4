"""Early warning: the enterprise register, department feeds and the monthly panel, detectors, runs, warnings

The panel is one `firm_months` row per enterprise and month with a column per indicator and, per feed,
the batch that delivered it, and a packed columnar copy per month and indicator (`panel_columns`)
that the monthly run reads; months are integers (year * 12 + month - 1). A warning may link the case
it opened (`warnings.case_id`).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 11:43:16.332498
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "panel_columns",
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=24), nullable=False),
        sa.Column("firm_ids", sa.LargeBinary(), nullable=False),
        sa.Column("values", sa.LargeBinary(), nullable=False),
        sa.Column("firms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "indicator", name=op.f("pk_panel_columns")),
    )
    op.create_table(
        "detector_configs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_detector_configs")),
    )
    op.create_table(
        "enterprises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("industry", sa.String(length=1), nullable=False),
        sa.Column("legal_representative", sa.String(length=40), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("division_code", sa.String(length=20), nullable=False),
        sa.Column("grid_code", sa.String(length=20), nullable=True),
        sa.Column("size", sa.String(length=8), nullable=False),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprises")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_enterprises_credit_code")),
    )
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enterprises_division_code"), ["division_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_enterprises_grid_code"), ["grid_code"], unique=False)

    op.create_table(
        "feed_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=80), nullable=False),
        sa.Column("first_month", sa.Integer(), nullable=True),
        sa.Column("last_month", sa.Integer(), nullable=True),
        sa.Column("rows_accepted", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("rejections", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_batches")),
    )
    with op.batch_alter_table("feed_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_batches_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_feed_batches_received_at"), ["received_at"], unique=False)

    op.create_table(
        "firm_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("feed", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("authority", sa.String(length=80), nullable=True),
        sa.Column("workers", sa.Integer(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["feed_batches.id"], name=op.f("fk_firm_events_batch_id_feed_batches")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_firm_events_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firm_events")),
        sa.UniqueConstraint(
            "enterprise_id", "feed", "kind", "occurred_on", "reference", name=op.f("uq_firm_events_enterprise_id")
        ),
    )
    with op.batch_alter_table("firm_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firm_events_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_firm_events_month"), ["month"], unique=False)

    op.create_table(
        "firm_months",
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("electricity_kwh", sa.Float(), nullable=True),
        sa.Column("electricity_arrears", sa.Float(), nullable=True),
        sa.Column("electricity_batch_id", sa.Integer(), nullable=True),
        sa.Column("water_m3", sa.Float(), nullable=True),
        sa.Column("water_arrears", sa.Float(), nullable=True),
        sa.Column("water_batch_id", sa.Integer(), nullable=True),
        sa.Column("payroll_headcount", sa.Float(), nullable=True),
        sa.Column("wages_due", sa.Float(), nullable=True),
        sa.Column("wages_paid", sa.Float(), nullable=True),
        sa.Column("pay_delay_days", sa.Float(), nullable=True),
        sa.Column("payroll_batch_id", sa.Integer(), nullable=True),
        sa.Column("tax_declared", sa.Float(), nullable=True),
        sa.Column("tax_arrears", sa.Float(), nullable=True),
        sa.Column("tax_batch_id", sa.Integer(), nullable=True),
        sa.Column("si_headcount", sa.Float(), nullable=True),
        sa.Column("si_arrears", sa.Float(), nullable=True),
        sa.Column("social_insurance_batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["electricity_batch_id"], ["feed_batches.id"], name=op.f("fk_firm_months_electricity_batch_id_feed_batches")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_firm_months_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["payroll_batch_id"], ["feed_batches.id"], name=op.f("fk_firm_months_payroll_batch_id_feed_batches")
        ),
        sa.ForeignKeyConstraint(
            ["social_insurance_batch_id"],
            ["feed_batches.id"],
            name=op.f("fk_firm_months_social_insurance_batch_id_feed_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["tax_batch_id"], ["feed_batches.id"], name=op.f("fk_firm_months_tax_batch_id_feed_batches")
        ),
        sa.ForeignKeyConstraint(
            ["water_batch_id"], ["feed_batches.id"], name=op.f("fk_firm_months_water_batch_id_feed_batches")
        ),
        sa.PrimaryKeyConstraint("enterprise_id", "month", name=op.f("pk_firm_months")),
    )
    with op.batch_alter_table("firm_months", schema=None) as batch_op:
        batch_op.create_index("ix_firm_months_month", ["month"], unique=False)

    op.create_table(
        "warning_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("config_id", sa.Integer(), nullable=False),
        sa.Column("firms", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["config_id"], ["detector_configs.id"], name=op.f("fk_warning_runs_config_id_detector_configs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning_runs")),
    )
    with op.batch_alter_table("warning_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_warning_runs_month"), ["month"], unique=False)

    op.create_table(
        "risk_scores",
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("grade", sa.SmallInteger(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_risk_scores_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["warning_runs.id"], name=op.f("fk_risk_scores_run_id_warning_runs")),
        sa.PrimaryKeyConstraint("enterprise_id", "month", name=op.f("pk_risk_scores")),
    )
    op.create_table(
        "warnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("grade", sa.SmallInteger(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("verdict", sa.String(length=24), nullable=True),
        sa.Column("verdict_note", sa.Text(), nullable=True),
        sa.Column("verdict_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verdict_by", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_warnings_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_warnings_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["warning_runs.id"], name=op.f("fk_warnings_run_id_warning_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warnings")),
        sa.UniqueConstraint("enterprise_id", "month", name=op.f("uq_warnings_enterprise_id")),
    )
    with op.batch_alter_table("warnings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_warnings_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_warnings_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index("ix_warnings_month_grade", ["month", "grade"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("panel_columns")
    with op.batch_alter_table("warnings", schema=None) as batch_op:
        batch_op.drop_index("ix_warnings_month_grade")
        batch_op.drop_index(batch_op.f("ix_warnings_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_warnings_case_id"))

    op.drop_table("warnings")
    op.drop_table("risk_scores")
    with op.batch_alter_table("warning_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_warning_runs_month"))

    op.drop_table("warning_runs")
    with op.batch_alter_table("firm_months", schema=None) as batch_op:
        batch_op.drop_index("ix_firm_months_month")

    op.drop_table("firm_months")
    with op.batch_alter_table("firm_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_firm_events_month"))
        batch_op.drop_index(batch_op.f("ix_firm_events_enterprise_id"))

    op.drop_table("firm_events")
    with op.batch_alter_table("feed_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_batches_received_at"))
        batch_op.drop_index(batch_op.f("ix_feed_batches_kind"))

    op.drop_table("feed_batches")
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprises_grid_code"))
        batch_op.drop_index(batch_op.f("ix_enterprises_division_code"))

    op.drop_table("enterprises")
    op.drop_table("detector_configs")
