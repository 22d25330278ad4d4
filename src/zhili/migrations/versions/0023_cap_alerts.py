"""CAP alerts: alerts received (one per sender and identifier), their divisions, refusals, trigger rules, firings

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 07:13:53
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "alert_refusals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("source_detail", sa.String(length=500), nullable=False),
        sa.Column("received_by", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_refusals")),
    )
    with op.batch_alter_table("alert_refusals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_refusals_received_at"), ["received_at"], unique=False)
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("event_match", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=12), nullable=True),
        sa.Column("min_severity", sa.String(length=10), nullable=False),
        sa.Column("min_urgency", sa.String(length=10), nullable=True),
        sa.Column("min_certainty", sa.String(length=10), nullable=True),
        sa.Column("areas", sa.Text(), nullable=False),
        sa.Column("campaign_template", sa.String(length=60), nullable=True),
        sa.Column("open_group", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_alert_rules_name")),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=200), nullable=False),
        sa.Column("identifier", sa.String(length=200), nullable=False),
        sa.Column("sent", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("msg_type", sa.String(length=8), nullable=False),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("cap_references", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("infos", sa.Text(), nullable=False),
        sa.Column("event", sa.String(length=200), nullable=False),
        sa.Column("headline", sa.String(length=300), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("certainty", sa.String(length=10), nullable=False),
        sa.Column("area_desc", sa.Text(), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.Column("raw_xml", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("source_detail", sa.String(length=500), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["ended_by_id"], ["alerts.id"], name=op.f("fk_alerts_ended_by_id_alerts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("sender", "identifier", name=op.f("uq_alerts_sender")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_sent"), ["sent"], unique=False)
    op.create_table(
        "alert_divisions",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("division_code", sa.String(length=20), nullable=False),
        sa.Column("how", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name=op.f("fk_alert_divisions_alert_id_alerts")),
        sa.ForeignKeyConstraint(
            ["division_code"], ["divisions.code"], name=op.f("fk_alert_divisions_division_code_divisions")
        ),
        sa.PrimaryKeyConstraint("alert_id", "division_code", name=op.f("pk_alert_divisions")),
    )
    with op.batch_alter_table("alert_divisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_divisions_division_code"), ["division_code"], unique=False)
    op.create_table(
        "alert_firings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("divisions", sa.Text(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("campaign_number", sa.String(length=24), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name=op.f("fk_alert_firings_alert_id_alerts")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_alert_firings_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(
            ["group_id"], ["command_groups.id"], name=op.f("fk_alert_firings_group_id_command_groups")
        ),
        sa.ForeignKeyConstraint(["rule_id"], ["alert_rules.id"], name=op.f("fk_alert_firings_rule_id_alert_rules")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_firings")),
        sa.UniqueConstraint("rule_id", "alert_id", name=op.f("uq_alert_firings_rule_id")),
    )
    with op.batch_alter_table("alert_firings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_firings_alert_id"), ["alert_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_firings_rule_id"), ["rule_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("alert_firings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_firings_rule_id"))
        batch_op.drop_index(batch_op.f("ix_alert_firings_alert_id"))
    op.drop_table("alert_firings")
    with op.batch_alter_table("alert_divisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_divisions_division_code"))
    op.drop_table("alert_divisions")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_sent"))
        batch_op.drop_index(batch_op.f("ix_alerts_received_at"))
    op.drop_table("alerts")
    op.drop_table("alert_rules")
    with op.batch_alter_table("alert_refusals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_refusals_received_at"))
    op.drop_table("alert_refusals")
