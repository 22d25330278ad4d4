"""inbox_items.settled_by and an index on notifications.subject: a notice settled by a colleague's act

When one of the people told of a case's turn acts on it (one of a unit's staff signs for a case all of
them were told of), the others' copies of that notice are settled: read, with the person who acted, so
the inbox no longer counts as waiting what someone else has done. The subject's index finds a case's
notices at each act without a scan.

`settled_by` holds a person's id without a foreign key: SQLite adds the column in place (a key would copy
the whole inbox), and the person's act is also on the case's timeline and in the audit record.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 19:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("inbox_items") as batch_op:
        batch_op.add_column(sa.Column("settled_by", sa.Integer(), nullable=True))
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.create_index("ix_notifications_subject", ["subject"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_index("ix_notifications_subject")
    with op.batch_alter_table("inbox_items") as batch_op:
        batch_op.drop_column("settled_by")
