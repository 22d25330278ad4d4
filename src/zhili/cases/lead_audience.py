"""Who of a case's lead unit is told of its turns: the grid's contact officer, the head, the desk, whoever acted.

SPEC §F2 ("每个网格确定1名联系交警"): a unit that names a contact officer for the case's grid
(`grid_contacts`) tells that officer, its heads, its posts that are no grid's contact (its desk) and
those of it who have acted on the case, not every officer of a brigade. A unit that names no contact
for the grid, or a case in no grid, tells every post. Anyone of the unit may still take the turn.

The rule is one SQL condition on `Position`, used three ways:
- a hand-off binds one case in its audience statement (`handoffs`, `told_in(b_unit, b_lead_grid, b_lead_case)`);
- a rating review's outcome names its case's values (`cases.rating_review`);
- the escalation ladder reads a batch of cases (`told_for_cases`): the place's part once per unit and
  grid, who acted in one statement for the whole batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, String, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session

from zhili.cases.models import Case, CaseEvent
from zhili.cases.record_queries import actor_person
from zhili.core.prepared import Prepared
from zhili.org.models import GridContact, Position
from zhili.org.roles import Role

_P = Position


def _by_place(unit: Any, grid: Any) -> ColumnElement[bool]:
    """Who of a unit's posts is told of any case in `grid`: its contact there, heads and desk; all, with no contact."""
    contact_here = (
        select(GridContact.position_id)
        .where(GridContact.grid_code == grid, GridContact.department_id == unit)
        .scalar_subquery()
    )
    return or_(
        contact_here.is_(None),
        _P.id == contact_here,
        _P.role == Role.DEPT_HEAD.value,
        ~exists().where(GridContact.position_id == _P.id),
    )


def told_in(unit: Any, grid: Any, case_id: Any) -> ColumnElement[bool]:
    """The posts of the lead unit `unit` told of a turn of the case `case_id` in `grid` (values or parameters)."""
    acted = select(actor_person(CaseEvent.actor)).where(CaseEvent.case_id == case_id)
    return and_(_P.department_id == unit, or_(_by_place(unit, grid), _P.person_id.in_(acted)))


_UNIT, _GRID = bindparam("b_unit", type_=Integer), bindparam("b_grid", type_=String)
_PLACE = Prepared(select(_P.person_id).where(_P.department_id == _UNIT, _by_place(_UNIT, _GRID)))


@lru_cache(maxsize=1)
def _acted_in_lead() -> Select[int, int]:
    """(case, person) for each person with a post in a case's lead unit who has a line on its timeline."""
    unit = func.coalesce(Case.lead_unit_id, Case.routed_unit_id)
    return (
        select(CaseEvent.case_id, _P.person_id)
        .join(Case, Case.id == CaseEvent.case_id)
        .join(_P, and_(_P.department_id == unit, _P.person_id == actor_person(CaseEvent.actor)))
        .where(CaseEvent.case_id.in_(bindparam("b_cases", expanding=True)))
        .distinct()
    )


def told_for_cases(session: Session, cases: Iterable[tuple[int, int, str | None]]) -> dict[int, frozenset[int]]:
    """Who is told, by case, for (case id, lead unit, grid) triples: what `told_in` finds, read for a batch.

    The lead unit must be the case's own (`lead_unit_id`, or before dispatch `routed_unit_id`).
    """
    wanted = list(cases)
    by_place: dict[tuple[int, str | None], frozenset[int]] = {}
    for _case, unit, grid in wanted:
        if (unit, grid) not in by_place:
            by_place[unit, grid] = frozenset(row[0] for row in _PLACE.run(session, {"b_unit": unit, "b_grid": grid}))
    acted: dict[int, set[int]] = defaultdict(set)
    if wanted:
        rows = session.execute(_acted_in_lead(), {"b_cases": sorted({case for case, _u, _g in wanted})})
        for case, person in rows:
            acted[case].add(person)
    return {case: by_place[unit, grid] | acted.get(case, set()) for case, unit, grid in wanted}
