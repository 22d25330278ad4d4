"""Ratings overturned on review (被推翻评价) cost the lead unit and the dispatching township, worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.assessment.small_world import COUNTY, EAST, MARKET, POLICE, WEST, add_case, add_event, at
from zhili.assessment import months
from zhili.assessment.model import SubjectKind, load_default, parse
from zhili.assessment.period import Month
from zhili.assessment.scoring import SubjectScore
from zhili.cases.models import CaseEvent
from zhili.core.auth import Scope
from zhili.core.errors import InvalidInputError

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
NOVEMBER = Month(2026, 11)
CENTRE = "person:9:中心"


def _review(session: Session, case_id: int, seq: int, kind: str, *, when: datetime, lead: int) -> None:
    add_event(
        session,
        case_id,
        seq,
        kind,
        when,
        actor=CENTRE,
        outcome=kind.removeprefix("rating_"),
        rating="satisfied",
        reason="回访核实",
        lead_unit_id=lead,
        status_after="rated",
    )


@pytest.fixture
def reviewed(small: Session) -> Session:
    """November: east's case 2 (police) overturned; a west case (market) upheld; others outside the month or county."""
    _review(small, 2, 7, "rating_overturned", when=at(20), lead=POLICE)
    add_case(small, 5, dispatcher=WEST, lead=MARKET)
    add_event(small, 5, 1, "rate", at(18), actor="citizen", rating="satisfied", status_after="rated")
    _review(small, 5, 2, "rating_upheld", when=at(21), lead=MARKET)
    add_case(small, 6, dispatcher=EAST, lead=POLICE)
    _review(small, 6, 1, "rating_overturned", when=datetime(2026, 12, 1, 1, tzinfo=UTC), lead=POLICE)  # December
    _review(small, 4, 2, "rating_overturned", when=at(20), lead=POLICE)  # a case of another county
    return small


def _scores(session: Session) -> dict[tuple[str, str], SubjectScore]:
    found = months.month_scores(session, COUNTY, NOVEMBER, now=NOW, scope=Scope.everything())
    return {(s.kind.value, s.subject_id): s for s in found.scores}


def test_an_overturned_rating_costs_the_lead_and_the_township_an_upheld_one_nothing(reviewed: Session) -> None:
    scores = _scores(reviewed)
    east, police = scores["division", EAST], scores["unit", str(POLICE)]
    # 20.0 and 73.0 before: one overturned in November, -2.5 (December's and the other county's do not count)
    assert (east.dimensions["quality"], east.total) == (17.5, 70.5)
    assert (police.dimensions["quality"], police.total) == (17.5, 70.5)
    assert scores["division", WEST].total == 93.0  # upheld: unchanged
    assert scores["unit", str(MARKET)].total == 99.0


def test_each_overturned_rating_is_a_line_naming_its_case_and_event(reviewed: Session) -> None:
    event_id = reviewed.scalar(
        select(CaseEvent.id).where(CaseEvent.case_id == 2, CaseEvent.kind == "rating_overturned")
    )
    for kind, subject in ((SubjectKind.DIVISION, EAST), (SubjectKind.UNIT, str(POLICE))):
        lines = months.lines(reviewed, COUNTY, NOVEMBER, kind, subject, now=NOW)
        overturned = [line for line in lines if line.event_kind == "rating_overturned"]
        assert [(line.indicator, line.case_number, line.ref, line.points) for line in overturned] == [
            (f"{kind.value}_overturned", "LY202611002", f"event:{event_id}", -2.5)
        ]
    west = months.lines(reviewed, COUNTY, NOVEMBER, SubjectKind.DIVISION, WEST, now=NOW)
    assert all(line.points == 0 for line in west if line.event_kind == "rating_upheld")  # counted, costing nothing


def test_overturned_ratings_score_divisions_and_units_only() -> None:
    values = load_default().model_dump(mode="json")
    wrong = {"subject": "person", "dimension": "quality", "source": "overturned", "method": "count", "points": 1}
    values["indicators"].append({"key": "person_overturned", "weight": 5, **wrong})
    with pytest.raises(InvalidInputError) as refused:
        parse(values)
    assert "does not score a person" in str(refused.value.extra["errors"])
