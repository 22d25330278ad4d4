"""The only module that decides who sees a command group and what of the organisation a group may name.

A group is seen by its members (present and past) and by those whose blocks reach its area (the
centre over the county, a township's command room over its township): everyone else gets a 404.
Members added must be people the adder sees; a group opened from a case needs that case in sight.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, false, or_, select
from sqlalchemy.orm import Session

from zhili.campaigns.visibility import load_campaign
from zhili.cases.models import Case
from zhili.cases.visibility import visible_cases
from zhili.command_groups.models import CommandGroup, GroupMember
from zhili.core.auth import Actor, Scope
from zhili.core.errors import NotFoundError
from zhili.org.models import Person
from zhili.org.visibility import sees_person


def is_member(actor: Actor) -> ColumnElement[bool]:
    """True (in SQL) for the groups the actor is or was a member of."""
    if actor.person_id is None:
        return false()
    return exists().where(GroupMember.group_id == CommandGroup.id, GroupMember.person_id == actor.person_id)


def blocks(actor: Actor) -> Scope:
    """The actor's territorial grants only: a strip (a department's post) oversees no area's command groups."""
    if actor.scope.is_everything:
        return actor.scope
    return Scope.of(g for g in actor.scope.grants if g.department_id is None)


def visible_groups(actor: Actor) -> ColumnElement[bool]:
    """True (in SQL) for the groups the actor may see: their own, and those in an area their blocks reach."""
    return or_(is_member(actor), blocks(actor).where(CommandGroup.area_code))


def load_group(session: Session, actor: Actor, group_id: int) -> CommandGroup:
    """A group the actor may see, or 404."""
    group = session.scalars(select(CommandGroup).where(CommandGroup.id == group_id, visible_groups(actor))).first()
    if group is None:
        raise NotFoundError(f"command group {group_id} not found")
    return group


def sees_area(actor: Actor, division_code: str) -> bool:
    """True when the actor's blocks reach this area (where they may open a group)."""
    return blocks(actor).reaches_place(division_code)


def visible_people(session: Session, actor: Actor, person_ids: list[int]) -> set[int]:
    """Those of these people the actor may see (and so may add to a group)."""
    if not person_ids:
        return set()
    stmt = select(Person.id).where(Person.id.in_(person_ids), sees_person(actor.scope, Person.id))
    return set(session.scalars(stmt))


@dataclass(frozen=True, slots=True)
class CaseOrigin:
    """The case a group is opened from, as the group shows it."""

    id: int
    number: str
    description: str
    place_code: str


def case_origin(session: Session, actor: Actor, case_id: int) -> CaseOrigin:
    """The case a group is opened from, if the actor sees it; else 404."""
    stmt = select(Case.id, Case.number, Case.description, Case.place_code).where(
        Case.id == case_id, visible_cases(actor)
    )
    row = session.execute(stmt).first()
    if row is None:
        raise NotFoundError(f"case {case_id} not found")
    return CaseOrigin(id=row.id, number=row.number, description=row.description, place_code=row.place_code)


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
