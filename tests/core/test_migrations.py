"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from tests.conftest import BACKENDS, scratch_postgres

from zhili.core import migrate
from zhili.core.db import make_engine
from zhili.schema import include_on_postgresql, metadata


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrations_match_the_models(backend: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite'}" if backend == "sqlite" else scratch_postgres("zhili_migrations")
    migrate.upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        opts = {"compare_type": True}
        if backend == "postgres":  # the fan-out's foreign keys are statement-level checks there (0010)
            opts["include_object"] = include_on_postgresql
        diff = compare_metadata(MigrationContext.configure(connection, opts=opts), metadata)
    engine.dispose()
    assert diff == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrading_twice_is_harmless(backend: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite'}" if backend == "sqlite" else scratch_postgres("zhili_migrations")
    migrate.upgrade(url)
    migrate.upgrade(url)
