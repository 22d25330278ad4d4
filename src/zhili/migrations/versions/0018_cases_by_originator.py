"""Cases by who reported them: an index on cases (originator_person_id, status)

A field worker's home lists their own reports still in the loop (我上报的办件, `workbench.reports`):
the index finds one person's open cases without scanning the table's open ones.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 06:45:00
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_cases_originator_status", "cases", ["originator_person_id", "status"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_cases_originator_status", table_name="cases")
