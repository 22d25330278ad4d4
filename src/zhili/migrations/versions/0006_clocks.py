"""Clocks: timers, calendar overrides, demo clock, supervision cards

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 09:17:14.145653
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "clock_offsets",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_clock_offsets")),
    )
    op.create_table(
        "timers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=30), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timers")),
        sa.UniqueConstraint("kind", "subject_id", "step", "generation", name="uq_timers_kind_subject_step_generation"),
    )
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timers_due_at"), ["due_at"], unique=False)
        batch_op.create_index("ix_timers_kind_subject", ["kind", "subject_id"], unique=False)

    op.create_table(
        "calendar_overrides",
        sa.Column("division_code", sa.String(length=20), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("is_workday", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["division_code"], ["divisions.code"], name=op.f("fk_calendar_overrides_division_code_divisions")
        ),
        sa.PrimaryKeyConstraint("division_code", "on", name=op.f("pk_calendar_overrides")),
    )
    op.create_table(
        "supervision_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("phase", sa.String(length=12), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("county_code", sa.String(length=20), nullable=False),
        sa.Column("is_manual", sa.Boolean(), nullable=False),
        sa.Column("issued_by", sa.String(length=120), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_supervision_cards_case_id_cases")),
        sa.ForeignKeyConstraint(["unit_id"], ["departments.id"], name=op.f("fk_supervision_cards_unit_id_departments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_cards")),
    )
    with op.batch_alter_table("supervision_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supervision_cards_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_supervision_cards_county_code"), ["county_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_supervision_cards_issued_at"), ["issued_at"], unique=False)
        batch_op.create_index("ix_supervision_cards_unit_action", ["unit_id", "action"], unique=False)

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phase_yellow_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_cases_phase_yellow_at"), ["phase_yellow_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_phase_yellow_at"))
        batch_op.drop_column("phase_yellow_at")

    with op.batch_alter_table("supervision_cards", schema=None) as batch_op:
        batch_op.drop_index("ix_supervision_cards_unit_action")
        batch_op.drop_index(batch_op.f("ix_supervision_cards_issued_at"))
        batch_op.drop_index(batch_op.f("ix_supervision_cards_county_code"))
        batch_op.drop_index(batch_op.f("ix_supervision_cards_case_id"))

    op.drop_table("supervision_cards")
    op.drop_table("calendar_overrides")
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("ix_timers_kind_subject")
        batch_op.drop_index(batch_op.f("ix_timers_due_at"))

    op.drop_table("timers")
    op.drop_table("clock_offsets")
