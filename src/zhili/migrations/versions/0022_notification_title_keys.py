"""Notification titles by message key: notifications (title_key, title_params)

A hand-off notice's title is stored in Chinese for the channels that send it (webhooks, e-mail, SMS)
and, beside it, as a message key with its parameters, so the inbox shows it in the reader's language.
Both columns are empty for the notifications already stored: they keep their Chinese title.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.add_column(sa.Column("title_key", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("title_params", sa.Text(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_column("title_params")
        batch_op.drop_column("title_key")
