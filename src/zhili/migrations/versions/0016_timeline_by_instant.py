"""The timeline by instant: an index on case_events.at for the month-range reads

The assessment's month (`cases.record_queries.month_events`), its breakdown and the monthly close
read a county's timeline lines of one month. Without an index on `at` each read scans the whole
timeline, every year of it; with one it reads the month's lines alone. The index grows at its right
edge (lines are appended at `now`), so a command's COMMIT writes one more page at most.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 17:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_case_events_at", "case_events", ["at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_case_events_at", table_name="case_events")
