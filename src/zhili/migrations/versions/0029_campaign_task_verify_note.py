"""campaign_tasks.verify_note: the level above's word when it accepts a report (核验意见)

A report verified with a note (照片清晰，核验通过) kept the note only in the recipient's notice and the
audit record; the task's page now shows it beside the report, so it is kept on the task.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("campaign_tasks") as batch_op:
        batch_op.add_column(sa.Column("verify_note", sa.String(500), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("campaign_tasks") as batch_op:
        batch_op.drop_column("verify_note")
