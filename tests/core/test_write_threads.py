"""Write handlers in the thread pool: one at a time on SQLite; on PostgreSQL within the pool's own limit."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from zhili.core.db import make_engine
from zhili.core.http import SQLITE_WRITE_THREADS, write_threads


def test_sqlite_runs_one_write_handler_at_a_time(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'one.sqlite'}")
    try:
        limiter = write_threads(engine)
        assert limiter is not None
        assert limiter.total_tokens == SQLITE_WRITE_THREADS == 1
    finally:
        engine.dispose()


def test_postgresql_write_handlers_share_the_thread_pools_own_limit() -> None:
    engine = create_engine("postgresql+psycopg://zhili@127.0.0.1/never-connected")  # no connection is made
    assert write_threads(engine) is None  # anyio's default limiter: the same 40 threads as every handler
