"""Where each matter version came from: matter_versions (source, file_hash, edited_by, reason)

A version is loaded from its catalog file (`source` 'file', with the content hash of the file it was
loaded from in `file_hash`) or saved from the matter's page by an administrator (`source` 'page', with
who saved it and why). A reload compares a file with the last version loaded from that file, so an
unchanged file no longer replaces a newer page edit (ADR 0006, "Page edits"). Every version stored so
far came from its file: its `file_hash` is its content hash.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("matter_versions") as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=10), server_default="file", nullable=False))
        batch_op.add_column(sa.Column("file_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("edited_by", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.String(length=200), nullable=True))
    op.execute("UPDATE matter_versions SET file_hash = content_hash")


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("matter_versions") as batch_op:
        batch_op.drop_column("reason")
        batch_op.drop_column("edited_by")
        batch_op.drop_column("file_hash")
        batch_op.drop_column("source")
