"""An id taken before its row is written, so that one INSERT writes the row whole (a number made from its id).

SQLite's writers are serial (a write transaction begins IMMEDIATE), so `max(id) + 1` is this
transaction's own; PostgreSQL hands the id out of the table's sequence, as an INSERT would.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import text
from sqlalchemy.orm import Session

from zhili.core.prepared import Prepared


@cache
def _next_id(dialect: str, table: str) -> Prepared:
    if dialect == "postgresql":
        return Prepared(text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))"))
    return Prepared(text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}"))  # noqa: S608 - table names are ours


def take_id(session: Session, table: str) -> int:
    """The id of the row about to be inserted into `table` (one of our tables) in this write transaction."""
    return int(_next_id(session.get_bind().dialect.name, table).run(session).scalar_one())
