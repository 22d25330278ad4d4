"""cases.description_en: the English of a description the system wrote

A case opened by the system itself (an early warning's summary) or from a form the system words (a
三联工程 report raising a case) has its description in Chinese and in English; `description_en` keeps
the English, and an English page shows it. A person's own words stay as written (NULL here).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("description_en", sa.Text(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("description_en")
