"""campaign_tasks: 改派 (reassign) links a handed-over task and the new task that carries its work

A declined task, or one still unclaimed past its claim time, may be handed to someone else by the level
above: the old task becomes `reassigned` with `reassigned_at` and `reassigned_to_id` (the new task), and
the new task names it in `reassigned_from_id` (unique: a task is handed over once).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("campaign_tasks") as batch_op:
        batch_op.add_column(sa.Column("reassigned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reassigned_to_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reassigned_from_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_campaign_tasks_reassigned_from_id", ["reassigned_from_id"])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("campaign_tasks") as batch_op:
        batch_op.drop_constraint("uq_campaign_tasks_reassigned_from_id", type_="unique")
        batch_op.drop_column("reassigned_from_id")
        batch_op.drop_column("reassigned_to_id")
        batch_op.drop_column("reassigned_at")
