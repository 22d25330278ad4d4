"""Who of a case's lead unit is told of its turns: the grid's contact officer, the heads, the desk, whoever acted.

SPEC §F2 ("每个网格确定1名联系交警"): a unit that names a contact officer for the case's grid
(`grid_contacts`) tells that officer, its heads, its posts that are no grid's contact (its desk) and
those of it who have acted on the case, not every officer of a brigade. A unit that names no contact
for the grid, or a case in no grid, tells every post. Anyone of the unit may still take the turn.

The rule is one SQL condition on `Position`, used three ways:
- a hand-off binds one case in its audience statement (`handoffs`, `told_in(b_unit, b_lead_grid, b_lead_case)`);
- a rating review's outcome names its case's values (`cases.rating_review`);
- the escalation ladder reads a batch of cases (`told_for_cases`): the same parts, each read once for
  the whole batch (each case's contact, the units' heads and desks, their posts, who acted).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from zhili.cases.models import Case, CaseEvent
from zhili.cases.record_queries import actor_person
from zhili.org.models import GridContact, Position
from zhili.org.roles import Role

_P = Position
_LEAD_OF_CASE = func.coalesce(Case.lead_unit_id, Case.routed_unit_id)  # before dispatch, the unit routed to


def _contact_here(unit: ColumnElement[Any] | int, grid: ColumnElement[Any] | str | None) -> ColumnElement[Any]:
    """The post `unit` names as the contact of `grid` (at most one: the table's key), or NULL."""
    return (
        select(GridContact.position_id)
        .where(GridContact.grid_code == grid, GridContact.department_id == unit)
        .scalar_subquery()
    )


# A unit's posts told of every case of it that has a contact officer: its heads and its desk (no grid's contact).
_ALWAYS = or_(_P.role == Role.DEPT_HEAD.value, ~exists().where(GridContact.position_id == _P.id))


def told_in(
    unit: ColumnElement[Any] | int, grid: ColumnElement[Any] | str | None, case_id: ColumnElement[Any] | int
) -> ColumnElement[bool]:
    """The posts of the lead unit `unit` told of a turn of the case `case_id` in `grid` (values or parameters)."""
    contact = _contact_here(unit, grid)
    acted = select(actor_person(CaseEvent.actor)).where(CaseEvent.case_id == case_id)
    return and_(_P.department_id == unit, or_(contact.is_(None), _P.id == contact, _ALWAYS, _P.person_id.in_(acted)))


_CASES: BindParameter[list[int]] = bindparam("b_cases", expanding=True)
_UNITS: BindParameter[list[int]] = bindparam("b_units", expanding=True)
_CONTACT = aliased(_P)
# The batch's four reads: each case's unit and contact officer here (NULL: none); the units' heads and
# desks; every post of the units; who of its unit acted on each case.
_CONTACTS: Select[Any, Any, Any] = (
    select(Case.id, _LEAD_OF_CASE, _CONTACT.person_id)
    .outerjoin(GridContact, and_(GridContact.grid_code == Case.grid_code, GridContact.department_id == _LEAD_OF_CASE))
    .outerjoin(_CONTACT, _CONTACT.id == GridContact.position_id)
    .where(Case.id.in_(_CASES))
)
_ALWAYS_TOLD: Select[Any, Any] = select(_P.department_id, _P.person_id).where(_P.department_id.in_(_UNITS), _ALWAYS)
_EVERY_POST: Select[Any, Any] = select(_P.department_id, _P.person_id).where(_P.department_id.in_(_UNITS))
_ACTED: Select[Any, Any] = (
    select(CaseEvent.case_id, _P.person_id)
    .join(Case, Case.id == CaseEvent.case_id)
    .join(_P, and_(_P.department_id == _LEAD_OF_CASE, _P.person_id == actor_person(CaseEvent.actor)))
    .where(CaseEvent.case_id.in_(_CASES))
    .distinct()
)


def told_for_cases(session: Session, case_ids: Collection[int]) -> dict[int, frozenset[int]]:
    """Who of each case's lead unit is told (what `told_in` finds), for a batch in four statements, not one a case.

    Each case's contact officer here (or none); its unit's heads and desk; every post of the units with
    a case that has no contact; who of the unit acted on it.
    """
    if not case_ids:
        return {}
    ids = sorted(case_ids)
    contacts = session.execute(_CONTACTS, {"b_cases": ids}).all()
    units = sorted({unit for _case, unit, _contact in contacts})
    bare = sorted({unit for _case, unit, contact in contacts if contact is None})
    always = _by_key(session, _ALWAYS_TOLD, {"b_units": units})
    every = _by_key(session, _EVERY_POST, {"b_units": bare}) if bare else {}  # read only when a case lacks a contact
    acted = _by_key(session, _ACTED, {"b_cases": ids})
    return {
        case: frozenset((every[unit] if contact is None else {contact} | always[unit]) | acted[case])
        for case, unit, contact in contacts
    }


def _by_key(session: Session, read: Select[Any, Any], params: dict[str, list[int]]) -> dict[int, set[int]]:
    """(key, person) rows as the people of each key."""
    found: dict[int, set[int]] = defaultdict(set)
    for key, person in session.execute(read, params):
        found[key].add(person)
    return found
