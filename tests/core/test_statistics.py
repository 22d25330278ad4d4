"""The planner's statistics: the demo's SQLite world is built with them, and the worker gathers them on SQLite.

Unanalysed, SQLite served the case queue's "whose turn is it" test from the department index, walking
every post without a department for each case listed: 9 s for 500 rows instead of 0.1 s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select, text
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


def test_the_demo_world_is_built_with_statistics_and_the_queue_looks_posts_up_by_division(sqlite_world: Any) -> None:
    with Session(sqlite_world.engine) as session:
        assert _analysed(session, "positions") > 0
        assert _analysed(session, "cases") > 0
        actor = actor_of(session, "fushan")
        listed = select(Case.id, queue.my_turn(actor)).where(queue.visible_cases(actor)).limit(50)
        sql = str(listed.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        plan = [str(row[-1]) for row in session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
    posts = [line for line in plan if "positions" in line]
    assert posts
    assert all("ix_positions_division_role" in line for line in posts), plan


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
        session.execute(text("DELETE FROM sqlite_stat1"))
        session.commit()
    job.run()  # again within the hours: nothing gathered
    with sessions() as session:
        assert _analysed(session, "divisions") == 0
    engine.dispose()
    postgres = make_engine("postgresql+psycopg://nobody:nothing@127.0.0.1:9/none")  # never connected
    assert statistics_jobs(sessionmaker(bind=postgres)) == []
    postgres.dispose()
