"""Scores from the small world's November: every figure worked out by hand from the default model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.assessment.small_world import ANNA, BO, COUNTY, EAST, MARKET, POLICE, WEST, add_task
from zhili.assessment import closing, months, versions
from zhili.assessment.facts import Frame, scored_facts
from zhili.assessment.model import SubjectKind
from zhili.assessment.period import Month
from zhili.assessment.scoring import SubjectScore, rank
from zhili.campaigns.models import CampaignTask
from zhili.core.auth import Scope, system_actor
from zhili.core.clock import FrozenClock

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
NOVEMBER = Month(2026, 11)
DECEMBER = Month(2026, 12)


def _scores(session: Session) -> dict[tuple[str, str], SubjectScore]:
    found = months.month_scores(session, COUNTY, NOVEMBER, now=NOW, scope=Scope.everything())
    return {(s.kind.value, s.subject_id): s for s in found.scores}


def test_township_scores_count_late_phases_rework_ratings_tasks_and_cards(small: Session) -> None:
    scores = _scores(small)
    east, west = scores["division", EAST], scores["division", WEST]
    assert east.dimensions == {"timeliness": 17.5, "quality": 20.0, "satisfaction": 15.5, "cross": 20.0}
    assert (east.penalty, east.total, east.rank) == (0.0, 73.0, 2)
    assert west.dimensions == {"timeliness": 30.0, "quality": 20.0, "satisfaction": 25.0, "cross": 20.0}
    assert (west.penalty, west.total, west.rank) == (-2.0, 93.0, 1)
    assert scores["division", COUNTY].total == 100.0  # the centre: nothing against it this month


def test_unit_scores_and_ranks(small: Session) -> None:
    scores = _scores(small)
    police, market = scores["unit", str(POLICE)], scores["unit", str(MARKET)]
    # handling (15): one of two late, -7.5; instructions (5): none this month, full marks
    assert police.dimensions == {"timeliness": 22.5, "quality": 20.0, "satisfaction": 15.5, "cross": 20.0}
    assert (police.penalty, police.total, police.rank) == (-5.0, 73.0, 2)
    assert (market.dimensions["quality"], market.total, market.rank) == (24.0, 99.0, 1)


def test_person_scores_from_the_lines_they_wrote_and_their_tasks(small: Session) -> None:
    scores = _scores(small)
    assert scores["person", str(ANNA)].total == 67.5  # one of four steps late (-50/4), her one task late (-20)
    assert scores["person", str(BO)].total == 87.5  # one of four steps late (-50/4)


def test_every_point_has_a_line_naming_its_event(small: Session) -> None:
    lines = months.lines(small, COUNTY, NOVEMBER, SubjectKind.DIVISION, EAST, now=NOW)
    assert [(line.indicator, line.case_number, line.event_kind, line.points) for line in lines if line.points] == [
        ("division_accept_on_time", "LY202611001", "dispatch", -7.5),
        ("division_rework", "LY202611001", "verify_failed", -5.0),  # one of two verifications failed, -10/2
        ("division_dissatisfied", "LY202611001", "rate", -7.5),
        ("division_reopened", "LY202611001", "rate", -2.0),
        ("division_task_claims", None, "task_claim", -5.0),
    ]
    assert sum(line.points for line in lines) == pytest.approx(73.0 - 100)


@pytest.mark.parametrize("kind", list(SubjectKind))
def test_one_reading_of_the_facts_gives_the_scores_and_the_lines_that_two_readings_give(
    small: Session, kind: SubjectKind
) -> None:
    """`subject_months` (a breakdown, a standing) reads a live month's facts once for the tallies and the lines."""
    scores = months.month_scores(small, COUNTY, NOVEMBER, now=NOW, scope=Scope.everything(), kind=kind)
    subjects = [*(s.subject_id for s in scores.scores[:3]), "999999"]  # and one with nothing counted
    found, read = months.subject_months(small, COUNTY, NOVEMBER, kind, subjects, now=NOW, scope=Scope.everything())
    assert found == scores
    assert any(read.values())
    for subject in subjects:
        assert read[subject] == months.lines(small, COUNTY, NOVEMBER, kind, subject, now=NOW)
    # Closed, the month's frozen rows: the same scores and lines, read back in one query each.
    closing.close_month(small, actor=system_actor("test"), clock=FrozenClock(NOW), county=COUNTY, month=NOVEMBER)
    frozen, kept = months.subject_months(small, COUNTY, NOVEMBER, kind, subjects, now=NOW, scope=Scope.everything())
    assert frozen.closed_at is not None
    assert {(s.subject_id, s.total, s.rank) for s in frozen.scores} == {
        (s.subject_id, s.total, s.rank) for s in found.scores
    }
    for subject in subjects:
        assert kept[subject] == read[subject]
        assert kept[subject] == months.lines(small, COUNTY, NOVEMBER, kind, subject, now=NOW)


def test_a_task_claimed_before_its_time_counts_at_once(small: Session) -> None:
    """Bo claims early: counted (on time, no cost) then, not only once the claim time has passed."""
    early, due = datetime(2026, 12, 3, 7, 0, tzinfo=UTC), datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    add_task(small, 2, person=BO, division=EAST + "001", claim_due=due, claimed=None, position=2)

    def claims() -> list[tuple[str, str, float]]:
        lines = months.lines(small, COUNTY, DECEMBER, SubjectKind.PERSON, str(BO), now=NOW)
        return [(line.indicator, line.ref, line.points) for line in lines if line.event_kind == "task_claim"]

    assert claims() == []  # open, its time still to come: not decided yet
    small.execute(update(CampaignTask).where(CampaignTask.id == 2).values(state="claimed", claimed_at=early))
    assert claims() == [("person_task_claims", "task:2", 0.0)]


def test_one_statement_a_month_counts_as_of_the_instant_it_runs(small: Session) -> None:
    """The month's statement is built once and run as of each reading's instant: a task late only once due."""
    due = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    add_task(small, 2, person=BO, division=EAST + "001", claim_due=due, claimed=None, position=2)
    model = versions.for_month(small, DECEMBER, now=NOW).model
    before, after = Frame(COUNTY, DECEMBER, NOW), Frame(COUNTY, DECEMBER, due + timedelta(minutes=1))
    assert scored_facts(model, before) is scored_facts(model, after)

    def claims(at: datetime) -> list[tuple[str, str, float]]:
        lines = months.lines(small, COUNTY, DECEMBER, SubjectKind.PERSON, str(BO), now=at)
        return [(line.indicator, line.ref, line.points) for line in lines if line.event_kind == "task_claim"]

    assert claims(before.now) == []
    assert claims(after.now) == [("person_task_claims", "task:2", -20.0)]  # unclaimed past its time: late
    everyone, person = Scope.everything(), SubjectKind.PERSON
    early = months.month_scores(small, COUNTY, DECEMBER, now=before.now, scope=everyone, kind=person)
    late = months.month_scores(small, COUNTY, DECEMBER, now=after.now, scope=everyone, kind=person)
    assert str(BO) not in {score.subject_id for score in early.scores}  # nothing of his decided yet
    assert {score.subject_id: score.total for score in late.scores}[str(BO)] == 80.0


def test_a_subject_with_nothing_counted_is_not_ranked_above_those_that_worked() -> None:
    """Full marks for a month with nothing counted say nothing of the work: no rank (0), after the ranked."""
    idle = SubjectScore(SubjectKind.UNIT, "9", "department", name="甲", total=100.0, events=0)
    busy = SubjectScore(SubjectKind.UNIT, "1", "department", name="乙", total=92.0, events=4)
    tied = SubjectScore(SubjectKind.UNIT, "2", "department", name="丙", total=92.0, events=1)
    worse = SubjectScore(SubjectKind.UNIT, "3", "department", name="丁", total=70.0, events=2)
    carded = SubjectScore(SubjectKind.UNIT, "4", "department", name="戊", total=98.0, cards=1)  # a card counts
    ranked = rank([idle, worse, busy, tied, carded])
    assert [(s.name, s.rank) for s in ranked] == [("戊", 1), ("丙", 2), ("乙", 2), ("丁", 4), ("甲", 0)]


def test_the_month_counts_only_the_ranked(small: Session) -> None:
    found = months.month_scores(small, COUNTY, DECEMBER, now=NOW, scope=Scope.everything())
    idle = [s for s in found.scores if not s.is_counted]
    assert idle  # December has barely begun: some townships and units have nothing counted yet
    assert all(s.rank == 0 for s in idle)
    for level in {s.level for s in found.scores}:
        assert found.ranked.get(level, 0) == sum(1 for s in found.scores if s.level == level and s.is_counted)
