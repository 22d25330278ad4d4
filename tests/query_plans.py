"""A statement's query plan as lines of text, on either backend (the plan tests' one way to ask for it)."""

from __future__ import annotations

from sqlalchemy import Executable
from sqlalchemy.orm import Session


def plan_lines(session: Session, statement: Executable) -> list[str]:
    """SQLite's `EXPLAIN QUERY PLAN` details, or PostgreSQL's `EXPLAIN` lines, of `statement` (values inlined)."""
    bind = session.get_bind()
    sql = str(statement.compile(bind, compile_kwargs={"literal_binds": True}))
    if bind.dialect.name == "sqlite":
        return [str(row[-1]) for row in session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
    return [str(row[0]) for row in session.connection().exec_driver_sql(f"EXPLAIN {sql}")]
