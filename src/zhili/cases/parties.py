"""Who an actor is for a case (lead, collaborator, dispatcher …) and which cases they may see."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import ColumnElement, bindparam, exists, false, or_, select
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
    units = strip_units(actor)
    helping = bool(units) and session.scalar(_HELPING, {"b_case_id": case.id, "b_units": sorted(units)}) is not None
    return parties_given(actor, case, is_helping=helping)


def parties_given(actor: Actor, case: Case, *, is_helping: bool) -> frozenset[Party]:
    """The parties, given whether one of the actor's units was asked to help (`helping_column`)."""
    parties: set[Party] = set()
    if case.lead_unit_id is not None and case.lead_unit_id in actor.units:
        parties.add(Party.LEAD)
    if is_helping:
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
def helping_column(actor: Actor) -> ColumnElement[bool]:
    """True where one of the actor's units was asked to help with the case: read with the case row."""
    units = strip_units(actor)
    if not units:
        return false()
    return exists().where(CollaborationRequest.case_id == Case.id, CollaborationRequest.unit_id.in_(sorted(units)))


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
        conditions += [helping_column(actor), Case.routed_unit_id.in_(sorted(units))]
    if actor.account_id is not None:
        conditions.append(Case.originator_account_id == actor.account_id)
    return or_(*conditions)
