"""Case trackers: the link a citizen follows their report by (citizens.models.CaseTracker)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 07:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "case_trackers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_trackers_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_trackers")),
        sa.UniqueConstraint("case_id", name=op.f("uq_case_trackers_case_id")),
        sa.UniqueConstraint("digest", name=op.f("uq_case_trackers_digest")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("case_trackers")
