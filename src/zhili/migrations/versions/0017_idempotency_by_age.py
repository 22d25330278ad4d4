"""Idempotency keys by age: an index on idempotency_records.created_at for the worker's pruning

Every page form that writes now stores its key (`web.form_once`), so the table grows with the
pages' writes. The worker forgets keys past their retention (`core.idempotency.forget_old`) in
batches; the index lets each batch read the oldest keys without scanning the table.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 02:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_idempotency_records_created_at", "idempotency_records", ["created_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_idempotency_records_created_at", table_name="idempotency_records")
