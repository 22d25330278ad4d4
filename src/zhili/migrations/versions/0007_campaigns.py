"""Campaigns: templates, campaigns, cascade forwards, one task per recipient, report photos

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 10:08:16.788043
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "campaign_templates",
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name_zh", sa.String(length=60), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_campaign_templates")),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("template_code", sa.String(length=60), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("owner_division", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("source_key", sa.String(length=120), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("number", name=op.f("uq_campaigns_number")),
        sa.UniqueConstraint("source_key", name=op.f("uq_campaigns_source_key")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaigns_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaigns_owner_division"), ["owner_division"], unique=False)

    op.create_table(
        "campaign_forwards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("division_code", sa.String(length=20), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("forwarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("forwarded_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_forwards_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["campaign_forwards.id"], name=op.f("fk_campaign_forwards_parent_id_campaign_forwards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_forwards")),
        sa.UniqueConstraint("campaign_id", "division_code", name=op.f("uq_campaign_forwards_campaign_id")),
    )
    with op.batch_alter_table("campaign_forwards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_forwards_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "campaign_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.Column("supervisor_position_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("division_code", sa.String(length=20), nullable=False),
        sa.Column("forward_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("declined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("report_text", sa.Text(), nullable=True),
        sa.Column("report_lon", sa.Float(), nullable=True),
        sa.Column("report_lat", sa.Float(), nullable=True),
        sa.Column("report_checklist", sa.Text(), nullable=True),
        sa.Column("is_far", sa.Boolean(), nullable=False),
        sa.Column("returned_count", sa.Integer(), nullable=False),
        sa.Column("rating", sa.String(length=24), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("supervisor_told_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_tasks_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_campaign_tasks_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["forward_id"], ["campaign_forwards.id"], name=op.f("fk_campaign_tasks_forward_id_campaign_forwards")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_campaign_tasks_person_id_people")),
        sa.ForeignKeyConstraint(
            ["position_id"], ["positions.id"], name=op.f("fk_campaign_tasks_position_id_positions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_tasks")),
        sa.UniqueConstraint("campaign_id", "position_id", name=op.f("uq_campaign_tasks_campaign_id")),
    )
    with op.batch_alter_table("campaign_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_tasks_campaign_division", ["campaign_id", "division_code"], unique=False)
        batch_op.create_index("ix_campaign_tasks_campaign_state", ["campaign_id", "state"], unique=False)
        batch_op.create_index("ix_campaign_tasks_person_state", ["person_id", "state"], unique=False)

    op.create_table(
        "campaign_task_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["campaign_tasks.id"], name=op.f("fk_campaign_task_photos_task_id_campaign_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_task_photos")),
    )
    with op.batch_alter_table("campaign_task_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_task_photos_task_id"), ["task_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("campaign_task_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_task_photos_task_id"))

    op.drop_table("campaign_task_photos")
    with op.batch_alter_table("campaign_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_tasks_person_state")
        batch_op.drop_index("ix_campaign_tasks_campaign_state")
        batch_op.drop_index("ix_campaign_tasks_campaign_division")

    op.drop_table("campaign_tasks")
    with op.batch_alter_table("campaign_forwards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_forwards_campaign_id"))

    op.drop_table("campaign_forwards")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_owner_division"))
        batch_op.drop_index(batch_op.f("ix_campaigns_created_at"))

    op.drop_table("campaigns")
    op.drop_table("campaign_templates")
