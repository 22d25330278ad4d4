"""matter_versions.file_hash dropped: a file-loaded version's content hash is the hash of its file

Revision 0025 kept, beside each version loaded from its catalog file, the hash of that file in
`file_hash`; it always equalled the version's `content_hash` (the file is hashed as the definition it
parses to) and was empty for page edits. A reload now compares a file with the `content_hash` of the
newest version whose `source` is 'file' (ADR 0006, "Page edits").

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 15:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("matter_versions") as batch_op:
        batch_op.drop_column("file_hash")


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("matter_versions") as batch_op:
        batch_op.add_column(sa.Column("file_hash", sa.String(length=64), nullable=True))
    op.execute("UPDATE matter_versions SET file_hash = content_hash WHERE source = 'file'")
