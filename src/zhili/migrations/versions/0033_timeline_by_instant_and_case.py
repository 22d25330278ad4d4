"""The timeline's instant index holds the case too: a county's month is found without reading the province's

The assessment's month (`cases.record_queries.month_events`) reads a county's timeline lines of one
month. With the index on `at` alone, every line of the month in the province was read from the table
and its case joined, to learn which county it was in: 11,839 lines for 650 in the demo's county. With
the case in the index, the lines of the county's cases are picked from the index entries; only those
are read. Replaces `ix_case_events_at`; reads by instant alone use the new index as they did the old.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 16:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_case_events_at_case", "case_events", ["at", "case_id"], unique=False)
    op.drop_index("ix_case_events_at", table_name="case_events")


def downgrade() -> None:
    """Revert this revision."""
    op.create_index("ix_case_events_at", "case_events", ["at"], unique=False)
    op.drop_index("ix_case_events_at_case", table_name="case_events")
