"""Fewer index pages a commit: drop indexes that another index or the chain's own checks already serve

The timeline's unique (case_id, seq) also serves lookups by case; the timers' unique (kind,
subject_id, step, generation) also serves lookups by kind and subject; the audit chain is read in
`seq` order only (`audit.verify`), and its head's compare-and-set and the unique `seq` keep
concurrent appends in one chain, so its hashes and action need no index. Each dropped index is a
page fewer for a command's COMMIT to write (ADR 0014).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 14:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index("ix_case_events_case_id")
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("ix_timers_kind_subject")
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_records_action")
        batch_op.drop_constraint("uq_audit_records_hash", type_="unique")
        batch_op.drop_constraint("uq_audit_records_prev_hash", type_="unique")


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_audit_records_prev_hash", ["prev_hash"])
        batch_op.create_unique_constraint("uq_audit_records_hash", ["hash"])
        batch_op.create_index("ix_audit_records_action", ["action"], unique=False)
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_index("ix_timers_kind_subject", ["kind", "subject_id"], unique=False)
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index("ix_case_events_case_id", ["case_id"], unique=False)
