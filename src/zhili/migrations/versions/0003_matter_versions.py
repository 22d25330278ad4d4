"""Matter versions, every loaded version of each matter of the catalog

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 07:23:17.191796
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "matter_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("name_zh", sa.String(length=60), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matter_versions")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_matter_versions_code")),
    )
    with op.batch_alter_table("matter_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_matter_versions_one_current",
            ["code"],
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("matter_versions", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_matter_versions_one_current", sqlite_where=sa.text("is_current"), postgresql_where=sa.text("is_current")
        )

    op.drop_table("matter_versions")
