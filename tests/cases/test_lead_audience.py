"""Who of a lead unit is told: the batch the escalation ladder reads finds what the one-case condition finds.

`told_in` (a hand-off's and a rating review's audience) and `told_for_cases` (a batch of rungs, four
statements) must agree case by case: on the demo world's cases, on one signed by an officer of the
unit through their login (an `account:` actor, another grid's contact), on one in no grid and on one
at a unit that names no contact.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from tests.cases.test_flow import report_parking, unit
from tests.cases.test_handoffs import dispatched, lead_told, signed_by_another_contact

from zhili.cases.lead_audience import told_for_cases, told_in
from zhili.cases.models import Case
from zhili.org.models import Position


def one_by_one(session: Session, case_ids: list[int]) -> dict[int, frozenset[int]]:
    """`told_in` for each case, as a hand-off reads it."""
    rows = session.execute(
        select(Case.id, func.coalesce(Case.lead_unit_id, Case.routed_unit_id), Case.grid_code).where(
            Case.id.in_(case_ids)
        )
    ).all()
    return {
        case: frozenset(session.scalars(select(Position.person_id).where(told_in(lead, grid, case))))
        for case, lead, grid in rows
    }


def test_the_ladders_batch_finds_whom_a_hand_off_finds(api: Any, session: Session) -> None:
    signed, brigade, officer = signed_by_another_contact(api, session)

    no_grid = report_parking(api, session)
    session.execute(update(Case).where(Case.id == no_grid["id"]).values(grid_code=None))
    housing = dispatched(api, session, lead_unit_id=unit(session, "housing", "330802"))

    demo = list(session.scalars(select(Case.id).order_by(Case.id.desc()).limit(300)))
    ours = [signed["id"], no_grid["id"], housing["id"]]
    batch = told_for_cases(session, [*demo, *ours])
    assert batch == one_by_one(session, [*demo, *ours])
    assert officer in batch[signed["id"]]  # who acted, by their account
    assert batch[signed["id"]] == lead_told(session, signed["id"], brigade)
    everyone = set(session.scalars(select(Position.person_id).where(Position.department_id == brigade)))
    assert batch[no_grid["id"]] == everyone
    housing_posts = select(Position.person_id).where(Position.department_id == housing["lead_unit"]["id"])
    assert batch[housing["id"]] == set(session.scalars(housing_posts))  # it names no contact: all its posts
    assert len(batch[signed["id"]]) < len(everyone) / 10
    assert told_for_cases(session, []) == {}
