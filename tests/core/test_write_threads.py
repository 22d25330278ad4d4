"""Write handlers in the thread pool: one at a time on SQLite, side by side on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from zhili.core.db import make_engine
from zhili.core.http import SERVER_WRITE_THREADS, SQLITE_WRITE_THREADS, write_threads


def test_sqlite_runs_one_write_handler_at_a_time(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'one.sqlite'}")
    try:
        assert write_threads(engine).total_tokens == SQLITE_WRITE_THREADS == 1
    finally:
        engine.dispose()


def test_postgresql_runs_write_handlers_side_by_side() -> None:
    engine = create_engine("postgresql+psycopg://zhili@127.0.0.1/never-connected")  # no connection is made
    assert write_threads(engine).total_tokens == SERVER_WRITE_THREADS
