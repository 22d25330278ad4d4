"""inbox_items.settled_as: why a notice was settled by someone else's act

Revision 0030 recorded who settled a notice. A notice is settled for three reasons, and its reader should
see which: a colleague did what it asked (taken), the one who asked withdrew it (a reply withdrawing an
extension request), or it was called off (a close or refusal cancelling a help request). Rows settled
before this revision are left without a reason and read as taken, whichever it was.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 22:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("inbox_items") as batch_op:
        batch_op.add_column(sa.Column("settled_as", sa.String(length=12), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("inbox_items") as batch_op:
        batch_op.drop_column("settled_as")
