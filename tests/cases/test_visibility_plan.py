"""A unit's officer sees the cases of their strips without a subquery run per case.

`visible_cases` filters every list (the queue, the supervision cards, the filter form's units). A
correlated `EXISTS` over help requests and meeting tasks in it ran two subqueries for each of a
county's cases; a list for a traffic officer took about ten times that of a centre. Each backend's
plan shows the subqueries read once (SQLite: a list subquery; PostgreSQL: a hashed SubPlan).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.cases.test_rating_review import actor
from tests.query_plans import plan_lines

from zhili.cases.models import Case, SupervisionCard
from zhili.cases.visibility import visible_cases


def _plan(session: Session, username: str) -> list[str]:
    officer = actor(session, username)
    assert officer.units, "the demo's traffic officer works in a unit (a strip)"
    statement = select(SupervisionCard.id).where(
        SupervisionCard.case_id.in_(select(Case.id).where(visible_cases(officer)))
    )
    return plan_lines(session, statement)


def test_a_units_officer_sees_their_cases_with_each_subquery_read_once(session: Session) -> None:
    plan = _plan(session, "kc-traffic")
    assert plan
    assert not [line for line in plan if "CORRELATED" in line], plan  # SQLite
    assert not [line for line in plan if "(SubPlan" in line or "alternatives: SubPlan" in line], plan  # PostgreSQL
