"""Fixtures of the assessment tests: the small explicit world, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.assessment import small_world
from tests.conftest import BACKENDS, fresh_database, scratch_postgres
from zhili.core.db import make_engine


@pytest.fixture(scope="module", params=BACKENDS)
def small_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A fresh database holding the small world (once per module and backend)."""
    if request.param == "postgres":  # a scratch database of its own: the test database holds the world
        url = scratch_postgres("assess", migrated=True)
        engine = make_engine(url)
    else:
        _url, engine = fresh_database("sqlite", tmp_path_factory.mktemp("assess"), "small")
    with Session(engine) as session:
        small_world.build_month(session)
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def small(small_engine: Engine) -> Iterator[Session]:
    """A session on the small world, rolled back after the test."""
    with small_engine.connect() as connection:
        outer = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as session:
            yield session
        outer.rollback()
