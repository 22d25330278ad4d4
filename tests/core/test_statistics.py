"""The planner's statistics: the demo's SQLite world is built with them, and the worker gathers them on SQLite.

Unanalysed, SQLite served the case queue's "whose turn is it" test from the department index, walking
every post without a department for each case listed: 9 s for 500 rows instead of 0.1 s.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from tests.campaigns.task_helpers import actor_of
from tests.conftest import migrated_database

from zhili.cases import queue
from zhili.cases.models import Case
from zhili.core.db import make_engine
from zhili.org.models import Division
from zhili.worker import statistics_jobs


def _analysed(session: Session, table: str) -> int:
    if not session.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")):
        return 0
    return int(session.scalar(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = :t"), {"t": table}) or 0)


def _queue_plan(engine: Engine) -> list[str]:
    """How SQLite reads the posts for the queue's `my_turn` of a township's command room."""
    with Session(engine) as session:
        actor = actor_of(session, "fushan")
        listed = select(Case.id, queue.my_turn(actor)).where(queue.visible_cases(actor)).limit(50)
        sql = str(listed.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        plan = [str(row[-1]) for row in session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
    return [line for line in plan if "positions" in line]


def test_the_demo_world_is_built_with_statistics_and_the_queue_looks_posts_up_by_division(
    sqlite_world: Any, tmp_path: Path
) -> None:
    with Session(sqlite_world.engine) as session:
        assert _analysed(session, "positions") > 0
        assert _analysed(session, "cases") > 0
    posts = _queue_plan(sqlite_world.engine)
    assert posts
    assert all("ix_positions_division_role" in line for line in posts), posts

    # The worker's refresh samples each index: the plan holds on a copy of the world it has refreshed.
    copy = tmp_path / "world.sqlite"
    with sqlite3.connect(sqlite_world.url.removeprefix("sqlite:///")) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    engine = make_engine(f"sqlite:///{copy}")
    sessions = sessionmaker(bind=engine)
    [job] = statistics_jobs(sessions)
    job.run()  # at start: the build's statistics stand
    with sessions() as session:
        session.execute(text("DELETE FROM sqlite_stat1"))
        session.commit()
    job.run()
    with sessions() as session:
        assert _analysed(session, "divisions") == 0  # not again before its hours are up
    [job] = statistics_jobs(sessions)  # a new worker, on a database without statistics
    job.run()
    with sessions() as session:
        assert _analysed(session, "positions") > 0
    posts = _queue_plan(engine)
    assert posts
    assert all("ix_positions_division_role" in line for line in posts), posts
    engine.dispose()


def test_the_worker_gathers_sqlite_statistics_and_leaves_postgresql_to_autovacuum(tmp_path: Path) -> None:
    engine = make_engine(migrated_database("sqlite", tmp_path, "fresh"))
    sessions = sessionmaker(bind=engine)
    with sessions() as session:
        session.add(Division(code="33", name="浙江省", level="province", is_synthetic=False, source="test"))
        session.commit()
        assert _analysed(session, "divisions") == 0
    [job] = statistics_jobs(sessions)
    assert job.name == "statistics"
    assert job.run() == 0  # nothing handled: the worker's loop paces itself as before
    with sessions() as session:
        assert _analysed(session, "divisions") > 0
        assert session.scalar(text("PRAGMA analysis_limit")) == 0  # the pooled connection is left as it was
    engine.dispose()
    postgres = make_engine("postgresql+psycopg://nobody:nothing@127.0.0.1:9/none")  # never connected
    assert statistics_jobs(sessionmaker(bind=postgres)) == []
    postgres.dispose()
