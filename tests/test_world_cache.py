"""The test worlds' templates: each copy starts with what the tests plan on (PostgreSQL's statistics)."""

from __future__ import annotations

from tests.conftest import Worlds
from tests.world_cache import analysed_tables


def test_a_copy_of_the_postgresql_template_starts_with_the_planners_statistics(worlds: Worlds) -> None:
    # Without them PostgreSQL planned the assessment's joins blind until autovacuum came round (tests 10x slower).
    assert {"cases", "case_events", "positions", "people", "timers"} <= analysed_tables(worlds.get("postgres").engine)
