"""The demo's call-backs (回访复核): a few rated parking cases in 柯城区 upheld or overturned, and what they cost."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import START

from zhili.assessment import months
from zhili.assessment.model import SubjectKind
from zhili.assessment.period import Month
from zhili.cases.models import Case, CaseEvent


def test_a_few_rated_parking_cases_in_kecheng_are_reviewed_after_their_rating(session: Session) -> None:
    rows = session.execute(
        select(CaseEvent, Case.matter_code, Case.place_code, Case.lead_unit_id)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(CaseEvent.kind.in_(["rating_overturned", "rating_upheld"]))
    ).all()
    kinds = Counter(event.kind for event, *_ in rows)
    assert 6 <= kinds["rating_overturned"] <= 40  # a few a month over the year
    assert kinds["rating_upheld"] > kinds["rating_overturned"]
    assert len({event.case_id for event, *_ in rows}) == len(rows)  # once per case
    for event, matter, place, lead in rows:
        assert (matter, place[:6], event.status_after) == ("illegal_parking", "330802", "rated")
        details = event.details
        assert details["lead_unit_id"] == lead
        assert details["rating"] in {"very_satisfied", "satisfied", "basically_satisfied"}
        assert details["reason"]
        before = session.scalars(
            select(CaseEvent.kind).where(CaseEvent.case_id == event.case_id, CaseEvent.seq == event.seq - 1)
        ).one()
        assert before == "rate"
        assert event.at < START


def test_the_lead_units_breakdown_shows_the_overturned_ratings_of_a_past_month(session: Session) -> None:
    overturned = session.execute(
        select(CaseEvent.at, Case.lead_unit_id, Case.number)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(CaseEvent.kind == "rating_overturned")
        .order_by(CaseEvent.at)
    ).first()
    assert overturned is not None
    at, lead, number = overturned
    lines = months.lines(session, "330802", Month.of(at), SubjectKind.UNIT, str(lead), now=START)
    assert ("unit_overturned", number, -2.5) in {(line.indicator, line.case_number, line.points) for line in lines}
