"""Names of divisions, units and people for lists that rank them (the assessment), in one query each.

Division and unit names are public organisation facts (which unit serves a place is routing); a
person is named only when the reader may see them (`org.visibility.sees_person`), else left out.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.core.auth import Actor, Scope
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.models import Department, Division, Person, Position
from zhili.org.visibility import positions, sees_person


def divisions_at(session: Session, county: str, level: str) -> dict[str, str]:
    """The divisions of one level (e.g. `township`) inside a county: code → name."""
    rows = session.execute(
        select(Division.code, Division.name).where(Division.level == level, DivisionCode(county).subtree(Division.code))
    )
    return dict(rows.all())


def units_in(session: Session, county: str) -> dict[int, tuple[str, str]]:
    """The department units based in a county (county or township level): id → (name, division code)."""
    rows = session.execute(
        select(Department.id, Department.name, Department.division_code).where(
            DivisionCode(county).subtree(Department.division_code)
        )
    )
    return {unit_id: (name, code) for unit_id, name, code in rows}


def division_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Code → name for these divisions."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return dict(session.execute(select(Division.code, Division.name).where(Division.code.in_(wanted))).all())


def unit_names(session: Session, unit_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Id → (name, division code) for these units."""
    wanted = sorted(set(unit_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(Department.id, Department.name, Department.division_code).where(Department.id.in_(wanted))
    )
    return {unit_id: (name, code) for unit_id, name, code in rows}


def posts_of(session: Session, actor: Actor, person_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """Id → the person's posts the actor sees as (role, where): where is the post's unit by name, or its division's.

    Told beside a person's name in a ranking, so that two people of one name are told apart; only the posts
    the reader may see, as the org pages show a person (a neighbour's other posts stay out of sight).
    """
    wanted = sorted(set(person_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(Position.person_id, Position.role, func.coalesce(Department.name, Division.name))
        .join(Division, Division.code == Position.division_code)
        .outerjoin(Department, Department.id == Position.department_id)
        .where(Position.person_id.in_(wanted), positions(actor))
        .order_by(Position.person_id, Position.id)
    )
    found: dict[int, list[tuple[str, str]]] = {}
    for person_id, role, where in rows:
        found.setdefault(person_id, []).append((role, where))
    return found


def visible_people(session: Session, scope: Scope, person_ids: Iterable[int]) -> dict[int, str]:
    """Id → name for those of these people the scope may see by name."""
    wanted = sorted(set(person_ids))
    if not wanted:
        return {}
    rows = session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted), sees_person(scope, Person.id)))
    return dict(rows.all())


def counties(session: Session, codes: Iterable[str] | None = None) -> dict[str, str]:
    """Counties (code → name): these, or every county when `codes` is None (administrators choose among all)."""
    statement = select(Division.code, Division.name).where(Division.level == "county")
    if codes is not None:
        statement = statement.where(Division.code.in_(sorted(set(codes))))
    return dict(session.execute(statement.order_by(Division.code)).all())


def counties_with_units(session: Session) -> set[str]:
    """The counties where the organisation has units: those the product runs in (a province's others have none)."""
    county = func.substr(Department.division_code, 1, DivisionLevel.COUNTY.length)
    return set(session.scalars(select(county).distinct()))
