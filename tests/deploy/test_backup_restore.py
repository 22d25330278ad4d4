"""A backup restores whole: pg_dump -Fc of a database with cases and an audit chain, pg_restore into a new one.

The procedure of docs/how-to/deploy.md ("Backups and a tested restore"), run as an operator would:
the same row count in every table, the same migration revision, an audit chain that verifies to
the same length, the planner's statistics gathered again (`pg_restore` does not bring them), and a
restored database that takes new writes (its sequences came along).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from tests.conftest import require_or_skip
from tests.deploy.loops import LoopDriver, points_in
from tests.deploy.pg import derived_database, libpq_url
from tests.deploy.world import SECRET, SmallWorld, small_world_copy
from tests.world_cache import analysed_tables
from zhili.app import create_app
from zhili.core import audit
from zhili.core.db import make_engine
from zhili.core.settings import Settings
from zhili.schema import metadata

LOOPS = 3
OPEN = 2


def client_for(url: str) -> TestClient:
    return TestClient(create_app(Settings(database_url=url, secret_key=SECRET, environment="test")))


def row_counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in metadata.sorted_tables
        }


def chain(engine: Engine) -> tuple[int, list[str], str]:
    """(records verified, problems, the migration revision)."""
    with Session(engine) as session:
        report = audit.verify(session)
        revision = session.scalar(text("SELECT version_num FROM alembic_version"))
    return report.checked, report.problems, str(revision)


@pytest.fixture(scope="module")
def small_world() -> SmallWorld:
    small_world = small_world_copy("backup")
    points = points_in(list(small_world.grids.values()), LOOPS + OPEN + 1, seed=3)
    with client_for(small_world.url) as client:
        driver = LoopDriver([client], small_world.tokens)
        for point in points[:LOOPS]:
            driver.loop(point)
        for point in points[LOOPS : LOOPS + OPEN]:
            driver.report(point)
    return small_world


def test_pg_dump_and_pg_restore_give_back_the_same_database(small_world: SmallWorld, tmp_path: Path) -> None:
    if any(shutil.which(tool) is None for tool in ("pg_dump", "pg_restore", "vacuumdb")):
        require_or_skip("ZHILI_REQUIRE_POSTGRES", "no pg_dump, pg_restore or vacuumdb (Debian: postgresql-client)")
    dump = tmp_path / "zhili.dump"
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), libpq_url(small_world.url)], check=True)  # noqa: S603, S607
    restored_url = derived_database("restored")
    subprocess.run(  # noqa: S603
        ["pg_restore", "--no-owner", "--exit-on-error", "-d", libpq_url(restored_url), str(dump)],  # noqa: S607
        check=True,
    )
    restored = make_engine(restored_url)
    # A restore brings the rows, not the statistics the planner needs (not asserted: autovacuum may be quicker).
    analyse = ["vacuumdb", "--analyze-in-stages", "--quiet", "-d", libpq_url(restored_url)]
    subprocess.run(analyse, check=True)  # noqa: S603
    assert {"cases", "case_events", "audit_records"} <= analysed_tables(restored)

    assert row_counts(restored) == row_counts(small_world.engine)
    assert row_counts(restored)["cases"] == LOOPS + OPEN
    checked, problems, revision = chain(restored)
    assert (checked, problems, revision) == chain(small_world.engine)
    assert checked > 0

    point = points_in(list(small_world.grids.values()), 1, seed=99)[0]
    with client_for(restored_url) as client:
        assert client.get("/readyz").status_code == 200
        LoopDriver([client], small_world.tokens).loop(point)  # the restored database takes new writes
    after, problems, _ = chain(restored)
    assert problems == []
    assert after > checked
    restored.dispose()
