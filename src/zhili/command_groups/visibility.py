"""The only module that decides who sees a command group and what of the organisation a group may name.

A group is seen by its current members and by those whose blocks reach its area (the centre over
the county, a township's command room over its township): everyone else, a member taken off included,
gets a 404. A group is opened over an area the opener manages (a managing post's block: the centre,
a township's command room, an administrator) or, for a village committee, over its own village.
Members added must be people the adder may call in: those they see, and the people of the units that
serve their area from above (a township's command room calls in the county's and the city's
departments: 街乡吹哨，部门报到); a group opened from a case needs that case in sight.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, exists, false, or_, select
from sqlalchemy.orm import Session

from zhili.campaigns.visibility import load_campaign
from zhili.cases.models import Case
from zhili.cases.visibility import visible_cases
from zhili.command_groups.models import CommandGroup, GroupMember
from zhili.core.auth import Actor, Grant, Scope
from zhili.core.errors import NotFoundError
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.models import Department, Person
from zhili.org.roles import Role
from zhili.org.visibility import sees_person


def is_member(actor: Actor) -> ColumnElement[bool]:
    """True (in SQL) for the groups the actor is a member of now."""
    if actor.person_id is None:
        return false()
    return exists().where(
        GroupMember.group_id == CommandGroup.id,
        GroupMember.person_id == actor.person_id,
        GroupMember.left_at.is_(None),
    )


def blocks(actor: Actor, *, managed: bool = False) -> Scope:
    """The actor's territorial grants only (of managing posts when `managed`): strips oversee no area's groups."""
    scope = actor.write_scope if managed else actor.scope
    if scope.is_everything:
        return scope
    return Scope.of(g for g in scope.grants if g.department_id is None)


def visible_groups(actor: Actor) -> ColumnElement[bool]:
    """True (in SQL) for the groups the actor may see: their own, and those in an area their blocks reach."""
    return or_(is_member(actor), blocks(actor).where(CommandGroup.area_code))


def load_group(session: Session, actor: Actor, group_id: int, *, for_update: bool = False) -> CommandGroup:
    """A group the actor may see, or 404 (locked for the transaction when `for_update`, where the database locks)."""
    statement = select(CommandGroup).where(CommandGroup.id == group_id, visible_groups(actor))
    if for_update:
        statement = statement.with_for_update(of=CommandGroup)
    group = session.scalars(statement).first()
    if group is None:
        raise NotFoundError(f"command group {group_id} not found")
    return group


def may_open_in(actor: Actor, division_code: str) -> bool:
    """True when the actor may open a group over this area: one they manage, or their own village."""
    if blocks(actor, managed=True).reaches_place(division_code):
        return True
    code = DivisionCode.parse(division_code)
    own_village = code is not None and code.level is DivisionLevel.VILLAGE and Role.VILLAGE_CADRE in actor.roles
    return own_village and blocks(actor).reaches_place(division_code)


def opening_roots(actor: Actor) -> tuple[str, ...]:
    """The roots of the areas the actor may open groups over ("" for everywhere), for the opening form."""
    managed = blocks(actor, managed=True)
    roots = set(managed.division_prefixes)
    if Role.VILLAGE_CADRE in actor.roles:
        roots |= {p for p in blocks(actor).division_prefixes if len(p) == DivisionLevel.VILLAGE.length}
    return tuple(sorted(roots))


CALLED_FROM = frozenset({DivisionLevel.CITY, DivisionLevel.COUNTY})
"""The levels whose units a group opener below them may call in."""


def recruitable(session: Session, actor: Actor) -> Scope:
    """Whom the actor may call into a group: their scope, and the units of the county and city above their blocks.

    A unit's posts are reached as a strip (`Grant(its division, its id)`), so a township's command room
    finds the county's traffic police and water bureau, not the people of the other townships.
    """
    scope = actor.scope
    if scope.is_everything:
        return scope
    above = {
        ancestor.value
        for grant in scope.grants
        if grant.department_id is None and (code := DivisionCode.parse(grant.division_prefix)) is not None
        for ancestor in code.ancestors
        if ancestor.level in CALLED_FROM
    }
    if not above:
        return scope
    units = session.execute(select(Department.id, Department.division_code).where(Department.division_code.in_(above)))
    return Scope.of([*scope.grants, *(Grant(division, unit) for unit, division in units)])


def recruiter(session: Session, actor: Actor) -> Actor:
    """The actor as they look for people to call in: with the `recruitable` scope (to search, show and add)."""
    return replace(actor, scope=recruitable(session, actor))


def visible_people(session: Session, recruiting: Actor, person_ids: list[int]) -> set[int]:
    """Those of these people a `recruiter` may call into a group."""
    if not person_ids:
        return set()
    stmt = select(Person.id).where(Person.id.in_(person_ids), sees_person(recruiting.scope, Person.id))
    return set(session.scalars(stmt))


@dataclass(frozen=True, slots=True)
class CaseOrigin:
    """The case a group is opened from, as the group shows it."""

    id: int
    number: str
    description: str
    place_code: str
    # A duplicate merged into another case (重复件并案): read-only, so no group is opened from it.
    duplicate_of_id: int | None = None


def case_origin(session: Session, actor: Actor, case_id: int) -> CaseOrigin:
    """The case a group is opened from, if the actor sees it; else 404."""
    stmt = select(Case.id, Case.number, Case.description, Case.place_code, Case.duplicate_of_id).where(
        Case.id == case_id, visible_cases(actor)
    )
    row = session.execute(stmt).first()
    if row is None:
        raise NotFoundError(f"case {case_id} not found")
    return CaseOrigin(
        id=row.id,
        number=row.number,
        description=row.description,
        place_code=row.place_code,
        duplicate_of_id=row.duplicate_of_id,
    )


@dataclass(frozen=True, slots=True)
class CampaignOrigin:
    """The campaign a group is opened from, as the group shows it."""

    id: int
    number: str
    title: str
    message: str
    division_code: str


def campaign_origin(session: Session, actor: Actor, campaign_id: int) -> CampaignOrigin:
    """The campaign a group is opened from, if the actor sees it; else 404."""
    found = load_campaign(session, actor, campaign_id)
    return CampaignOrigin(
        id=found.id, number=found.number, title=found.title, message=found.message, division_code=found.owner_division
    )


def groups_in_sight(session: Session, actor: Actor, group_ids: Collection[int]) -> set[int]:
    """Those of these groups the actor may see: the links a case page shows to the groups opened from it."""
    if not group_ids:
        return set()
    stmt = select(CommandGroup.id).where(CommandGroup.id.in_(list(group_ids)), visible_groups(actor))
    return set(session.scalars(stmt))
