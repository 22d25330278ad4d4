"""Migration 0008 moves each campaign's JSON scope into rows, and its downgrade writes the JSON back (both backends)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from tests.conftest import BACKENDS, scratch_postgres

from zhili.core import migrate
from zhili.core.db import make_engine

SCOPE = {"divisions": ["330825101", "330825102"], "roles": ["team_leader", "party_member"]}


def database(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'scope.sqlite'}"
    return scratch_postgres("scope")


def insert_campaign(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO campaigns (id, number, template_code, template, title, message, severity, mode, scope,"
                " owner_division, status, recipients, created_by, created_at) VALUES (7, 'SL2026000007', 'typhoon',"
                " '{}', 't', '', 'red', 'all', :scope, '330825', 'active', 0, 'test', '2026-07-01 00:00:00+00:00')"
            ),
            {"scope": json.dumps(SCOPE)},
        )
    engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_json_scope_becomes_rows_and_comes_back(backend: str, tmp_path: Path) -> None:
    url = database(backend, tmp_path)
    config = migrate.alembic_config(url)
    command.upgrade(config, "0007")
    insert_campaign(url)
    command.upgrade(config, "0008")
    engine = make_engine(url)
    with engine.connect() as connection:
        divisions = connection.execute(text("SELECT campaign_id, division_code FROM campaign_scope_divisions"))
        assert sorted(divisions) == [(7, "330825101"), (7, "330825102")]
        roles = connection.execute(text("SELECT role FROM campaign_scope_roles WHERE campaign_id = 7 ORDER BY ordinal"))
        assert [role for (role,) in roles] == SCOPE["roles"]
    assert "scope" not in {column["name"] for column in inspect(engine).get_columns("campaigns")}
    engine.dispose()
    command.downgrade(config, "0007")
    engine = make_engine(url)
    with engine.connect() as connection:
        assert json.loads(connection.execute(text("SELECT scope FROM campaigns WHERE id = 7")).scalar_one()) == SCOPE
    engine.dispose()
