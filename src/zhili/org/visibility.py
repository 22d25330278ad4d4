"""What a person sees of the organisation: the only module that applies `core.auth.Scope` to org rows.

Places (divisions, grid polygons, households, a zone's leading division) are reached by blocks
alone; rows that belong to a unit (departments, posts and so people, grid contacts) are narrowed by
strips to the strip's own department. docs/reference/data-scope.md states the rules;
tests/test_visibility_contract.py keeps every other module from deciding them on its own.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, or_, true
from sqlalchemy.orm import InstrumentedAttribute, aliased

from zhili.core.auth import Actor, Scope
from zhili.org.division_code import DivisionCode
from zhili.org.models import Department, DepartmentGridCell, Division, GridContact, Household, Position, Zone


def divisions(actor: Actor) -> ColumnElement[bool]:
    """Divisions in the actor's blocks (a strip reaches the places of its division subtree)."""
    return actor.scope.where(Division.code)


def places_around(actor: Actor) -> ColumnElement[bool]:
    """Divisions in or above the places of the actor's grants (blocks and strips): the places a search may name.

    A word naming 衢州市 or 湖镇镇 finds the posts in reach below it; a place wholly outside the reach names none.
    """
    if actor.scope.is_everything:
        return true()
    grants = actor.scope.grants
    if not grants:
        return false()
    return or_(*(DivisionCode(grant.division_prefix).related_in(Division.code) for grant in grants))


def departments(actor: Actor) -> ColumnElement[bool]:
    """Departments seen as units: a block sees every department in it, a strip its own."""
    return actor.scope.where(Department.division_code, Department.id)


def positions(actor: Actor) -> ColumnElement[bool]:
    """Posts seen as units; a person (name, phone) is visible through one of these."""
    return actor.scope.where(Position.division_code, Position.department_id)


def zones(actor: Actor) -> ColumnElement[bool]:
    """Zones (片区) whose leading division is a place in scope."""
    return actor.scope.where(Zone.leading_division_code)


def households(actor: Actor) -> ColumnElement[bool]:
    """Households (counted, never listed) in grids in scope."""
    return actor.scope.where(Household.grid_code)


def grid_contacts(actor: Actor) -> ColumnElement[bool]:
    """Grid contact officers as units: a strip sees its own department's contact, a block every one."""
    return actor.scope.where(GridContact.grid_code, GridContact.department_id)


def department_grid_cells(actor: Actor) -> ColumnElement[bool]:
    """The community grids a department's own grid covers, as places."""
    return actor.scope.where(DepartmentGridCell.grid_code)


def sees_place(actor: Actor, division_code: str) -> bool:
    """True when the division is a place in the actor's scope."""
    return actor.scope.reaches_place(division_code)


def sees_unit(actor: Actor, division_code: str, department_id: int | None) -> bool:
    """True when a row held in this division by this department (None: territorial) is in scope."""
    return actor.scope.reaches_unit(division_code, department_id)


def require_place(actor: Actor, division_code: str, *, what: str) -> None:
    """404 unless the division is a place in scope (nothing outside is confirmed to exist)."""
    actor.scope.require_place(division_code, what=what)


def require_unit(actor: Actor, division_code: str, department_id: int | None, *, what: str) -> None:
    """404 unless the unit row is in scope."""
    actor.scope.require_unit(division_code, department_id, what=what)


def sees_person(
    scope: Scope, person_column: ColumnElement[int] | InstrumentedAttribute[int] | InstrumentedAttribute[int | None]
) -> ColumnElement[bool]:
    """True (in SQL) for the rows whose person the scope may see by name and phone.

    A correlated EXISTS over the person's posts (an index lookup per row), not an `IN` over everyone
    in scope: a page of the board's lists would otherwise gather a county's people for each column it masks.
    """
    if scope.is_everything:
        return true()
    post = aliased(Position)
    return exists().where(post.person_id == person_column, scope.where(post.division_code, post.department_id))
