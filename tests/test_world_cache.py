"""The test worlds' templates: each copy starts with what the tests plan on (PostgreSQL's statistics)."""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import Worlds


def test_a_copy_of_the_postgresql_template_starts_with_the_planners_statistics(worlds: Worlds) -> None:
    # Without them PostgreSQL planned the assessment's joins blind until autovacuum came round (tests 10x slower).
    with worlds.get("postgres").engine.connect() as connection:
        analysed = set(
            connection.execute(text("SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = 'public'")).scalars()
        )
    assert {"cases", "case_events", "positions", "people", "timers"} <= analysed
