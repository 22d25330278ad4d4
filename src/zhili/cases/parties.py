"""Who an actor is for a case (lead, collaborator, dispatcher …) and which cases they may see."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import ColumnElement, bindparam, exists, or_, select
from sqlalchemy.orm import Session

from zhili.cases.lifecycle import Party
from zhili.cases.models import Case, CollaborationRequest
from zhili.core.auth import Actor
from zhili.org.routing import parent_code


def strip_units(actor: Actor) -> set[int]:
    """The units the actor works in (their department posts)."""
    return set(actor.units)


_HELPING = (
    select(CollaborationRequest.id)
    .where(
        CollaborationRequest.case_id == bindparam("b_case_id"),
        CollaborationRequest.unit_id.in_(bindparam("b_units", expanding=True)),
    )
    .limit(1)
)


def parties_for(session: Session, actor: Actor, case: Case) -> frozenset[Party]:
    """The parties the actor acts as on this case; an actor can be several at once."""
    parties: set[Party] = set()
    units = strip_units(actor)
    if case.lead_unit_id is not None and case.lead_unit_id in units:
        parties.add(Party.LEAD)
    if units and session.scalar(_HELPING, {"b_case_id": case.id, "b_units": sorted(units)}):
        parties.add(Party.COLLABORATOR)
    # The command room or centre that manages the dispatching division triages; the level above supervises.
    if actor.write_scope.reaches_unit(case.dispatcher_division, None):
        parties.add(Party.DISPATCHER)
    parent = parent_code(case.dispatcher_division)
    if actor.write_scope.reaches_unit(parent, None):
        parties.add(Party.SUPERVISOR)
    if actor.person_id is not None and actor.person_id == case.originator_person_id:
        parties.add(Party.ORIGINATOR)
    if actor.account_id is not None and actor.account_id == case.originator_account_id:
        parties.add(Party.ORIGINATOR if case.originator_person_id else Party.CITIZEN)
    return frozenset(parties)


@lru_cache(maxsize=1024)
def visible_cases(actor: Actor) -> ColumnElement[bool]:
    """Cases the actor may see.

    By place (blocks); as the unit routed to, leading or helping (strips); and those they reported.
    Built once per actor (an Actor is an immutable value: equal actors see the same cases), so a
    request does not rebuild the clause and SQLAlchemy reuses its cache key.
    """
    conditions = [actor.scope.where(Case.place_code, Case.lead_unit_id)]
    units = strip_units(actor)
    if units:
        helping = exists().where(CollaborationRequest.case_id == Case.id, CollaborationRequest.unit_id.in_(units))
        conditions += [helping, Case.routed_unit_id.in_(units)]
    if actor.account_id is not None:
        conditions.append(Case.originator_account_id == actor.account_id)
    return or_(*conditions)
