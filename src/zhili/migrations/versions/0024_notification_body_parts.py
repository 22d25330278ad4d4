"""Notification bodies by message key: notifications (body_parts)

Every notice's body is stored in Chinese for the channels that send it (webhooks, e-mail, SMS) and,
beside it, as parts (JSON: verbatim text, or a message key with its parameters, one line each), so
the inbox shows it in the reader's language as it shows the title (0022). The column is empty for
the notifications already stored: they keep their Chinese body.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.add_column(sa.Column("body_parts", sa.Text(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_column("body_parts")
