"""The home page's standing (rank, total, biggest losses) and `zhili assessment close` on the small world."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.assessment import small_world
from tests.assessment.small_world import EAST, POLICE
from tests.conftest import fresh_database
from zhili.assessment import queries
from zhili.assessment.model import SubjectKind
from zhili.assessment.period import Month
from zhili.cli import app
from zhili.core.auth import Actor, Grant, Scope

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def _actor(grant: Grant, *, units: frozenset[int] = frozenset(), roles: str = "township_command") -> Actor:
    return Actor(username="x", display_name="x", roles=frozenset({roles}), scope=Scope.of([grant]), units=units)


def test_a_township_reads_its_rank_and_what_cost_it_points(small: Session) -> None:
    found = queries.standing(small, _actor(Grant(EAST)), Month(2026, 11), now=NOW)
    assert found is not None
    assert (found.kind, found.subject_id, found.rank, found.of, found.total) == (SubjectKind.DIVISION, EAST, 2, 2, 73.0)
    assert [line.points for line in found.losses] == [-7.5, -7.5, -5.0]
    # The four dimensions and the cards' deduction add up to the total the tile shows.
    assert round(sum(found.dimensions.values()) + found.penalty, 6) == found.total


def test_a_unit_reads_its_standing(small: Session) -> None:
    staff = _actor(Grant(small_world.COUNTY, POLICE), units=frozenset({POLICE}), roles="dept_staff")
    found = queries.standing(small, staff, Month(2026, 11), now=NOW)
    assert found is not None
    assert (found.kind, found.subject_id, found.total) == (SubjectKind.UNIT, str(POLICE), 73.0)
    assert found.losses[0].points == -7.5  # the late reply: half of the 15 points of handling on time


def test_the_close_command_closes_each_county_once(tmp_path: Path) -> None:
    url, engine = fresh_database("sqlite", tmp_path, "cli")
    with Session(engine) as session:
        small_world.build_month(session)
        session.commit()
    engine.dispose()
    database = url.removeprefix("sqlite:///")
    runner = CliRunner()
    first = runner.invoke(
        app, ["assessment", "close", "--month", "2026-11", "--county", "330825", "--database", database]
    )
    assert first.exit_code == 0, first.output
    assert "330825 2026-11: closed" in first.output
    again = runner.invoke(
        app, ["assessment", "close", "--month", "2026-11", "--county", "330825", "--database", database]
    )
    assert "already closed" in again.output
    bad = runner.invoke(app, ["assessment", "close", "--month", "November", "--database", database])
    assert bad.exit_code != 0
