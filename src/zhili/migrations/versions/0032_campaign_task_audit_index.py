"""A partial index on campaign tasks' audit records: a task page lists its steps (办理经过)

The audit record has no index but its sequence (revision 0015: every index is a page a commit writes).
A task page now lists who declined, overruled, returned and verified it, read off the records of that
task. The index holds only campaign tasks' records, so a case's commit on the closed loop writes no page
of it, and a task's history is found without a scan of the whole record.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

_ONLY_TASKS = "entity_type = 'campaign_task'"


def upgrade() -> None:
    """Apply this revision."""
    op.create_index(
        "ix_audit_records_campaign_task",
        "audit_records",
        ["entity_id"],
        unique=False,
        sqlite_where=sa.text(_ONLY_TASKS),
        postgresql_where=sa.text(_ONLY_TASKS),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_audit_records_campaign_task", table_name="audit_records")
