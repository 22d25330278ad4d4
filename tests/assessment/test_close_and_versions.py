"""The monthly close freezes a month (idempotent), a new model never rewrites a closed month, ratings count."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.assessment.small_world import COUNTY, EAST, POLICE
from zhili.assessment import closing, months, ratings, versions
from zhili.assessment.model import SubjectKind, default_text, parse_toml
from zhili.assessment.models import AssessmentLine, AssessmentScore
from zhili.assessment.period import Month
from zhili.core.auth import Actor, Grant, Scope, system_actor
from zhili.core.clock import FrozenClock
from zhili.core.errors import ConflictError, ForbiddenError, InvalidInputError

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
NOVEMBER, DECEMBER = Month(2026, 11), Month(2026, 12)
ADMIN = system_actor("admin")
EAST_ROOM = Actor(
    username="east",
    display_name="东华指挥室",
    roles=frozenset({"township_command"}),
    scope=Scope.of([Grant(EAST)]),
    write_scope=Scope.of([Grant(EAST)]),
    person_id=1,
)


def _total(session: Session, kind: str, subject: str, month: Month = NOVEMBER) -> float:
    found = months.month_scores(session, COUNTY, month, now=NOW, scope=Scope.everything())
    return next(s.total for s in found.scores if (s.kind.value, s.subject_id) == (kind, subject))


def _count(session: Session, table: type[AssessmentScore | AssessmentLine]) -> int:
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_close_freezes_the_month_once(small: Session) -> None:
    live = months.lines(small, COUNTY, NOVEMBER, SubjectKind.DIVISION, EAST, now=NOW)
    first = closing.close_month(small, actor=ADMIN, clock=FrozenClock(NOW), county=COUNTY, month=NOVEMBER)
    assert first.is_new
    assert first.lines == 42  # every event counted in the county's November, 16 of them costing points
    counts = (_count(small, AssessmentScore), _count(small, AssessmentLine))
    again = closing.close_month(small, actor=ADMIN, clock=FrozenClock(NOW), county=COUNTY, month=NOVEMBER)
    assert not again.is_new
    assert (again.scores, again.lines) == (first.scores, first.lines)
    assert (_count(small, AssessmentScore), _count(small, AssessmentLine)) == counts
    assert _total(small, "division", EAST) == 73.0
    frozen = months.lines(small, COUNTY, NOVEMBER, SubjectKind.DIVISION, EAST, now=NOW)
    assert frozen == live  # the breakdown reads the same after the close: every event, in the same order
    assert [line.points for line in frozen if line.points] == [-7.5, -5.0, -7.5, -2.0, -5.0]


def test_a_running_month_does_not_close(small: Session) -> None:
    with pytest.raises(ConflictError, match="not over"):
        closing.close_month(small, actor=ADMIN, clock=FrozenClock(NOW), county=COUNTY, month=DECEMBER)


def test_a_township_may_not_close_its_county(small: Session) -> None:
    with pytest.raises(ForbiddenError):
        closing.close_month(small, actor=EAST_ROOM, clock=FrozenClock(NOW), county=COUNTY, month=NOVEMBER)


def _heavier_model() -> dict[str, object]:
    values = parse_toml(default_text()).model_dump(mode="json")
    for penalty in values["penalties"]:
        penalty["points"] = 50
    return values


def test_a_new_model_never_rewrites_a_closed_month(small: Session) -> None:
    closing.close_month(small, actor=ADMIN, clock=FrozenClock(NOW), county=COUNTY, month=NOVEMBER)
    with pytest.raises(InvalidInputError) as refused:
        versions.save(
            small, actor=ADMIN, clock=FrozenClock(NOW), values=_heavier_model(), effective_from="2026-11", note="x"
        )
    assert refused.value.extra["errors"][0]["field"] == "effective_from"
    saved = versions.save(
        small, actor=ADMIN, clock=FrozenClock(NOW), values=_heavier_model(), effective_from="2026-12", note="x"
    )
    assert versions.for_month(small, DECEMBER, now=NOW).id == saved.id
    assert versions.for_month(small, NOVEMBER, now=NOW).id != saved.id
    assert _total(small, "unit", str(POLICE)) == 73.0  # the red card still costs 5 in November


def test_a_new_model_applies_from_its_month_only(small: Session) -> None:
    versions.save(
        small, actor=ADMIN, clock=FrozenClock(NOW), values=_heavier_model(), effective_from="2026-12", note="x"
    )
    assert _total(small, "unit", str(POLICE)) == 73.0  # November is open, but scored by its own model
    with pytest.raises(ForbiddenError):
        versions.save(
            small, actor=EAST_ROOM, clock=FrozenClock(NOW), values=_heavier_model(), effective_from="2027-01", note="x"
        )


def test_a_township_rates_the_units_it_worked_with(small: Session) -> None:
    (rater,) = ratings.raters_of(small, EAST_ROOM)
    rows = ratings.form_rows(small, rater, NOVEMBER, now=NOW)
    assert [row.subject_id for row in rows] == [str(POLICE)]
    ratings.save_ratings(
        small, actor=EAST_ROOM, clock=FrozenClock(NOW), rater_key=rater.key, month=NOVEMBER, scores={str(POLICE): 4}
    )
    assert _total(small, "unit", str(POLICE)) == 69.0  # cross: 20 × 4/5 = 16 of 20


def test_ratings_out_of_range_or_for_others_are_refused_by_field(small: Session) -> None:
    key = f"division:{EAST}"
    with pytest.raises(InvalidInputError) as refused:
        ratings.save_ratings(
            small,
            actor=EAST_ROOM,
            clock=FrozenClock(NOW),
            rater_key=key,
            month=NOVEMBER,
            scores={str(POLICE): 9, "2": 3},
        )
    assert {e["field"] for e in refused.value.extra["errors"]} == {f"scores.{POLICE}", "scores.2"}
    with pytest.raises(ConflictError):
        ratings.save_ratings(small, actor=EAST_ROOM, clock=FrozenClock(NOW), rater_key=key, month=DECEMBER, scores={})
