"""Cases by their caller's phone: an index on cases (reporter_phone)

The 12345 desk (来电受理, `/hotline`) finds a caller's earlier reports by the phone they call from:
the index answers it without scanning the table.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 07:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_cases_reporter_phone", "cases", ["reporter_phone"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_cases_reporter_phone", table_name="cases")
