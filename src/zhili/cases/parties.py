"""Who an actor is for a case (lead, collaborator, dispatcher …); which cases they see is `cases.visibility`."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from zhili.cases.models import Case, CollaborationRequest
from zhili.cases.schemas import CITIZEN_CHANNELS
from zhili.cases.states import Party
from zhili.cases.store import StoredCase
from zhili.cases.visibility import strip_units
from zhili.core.auth import Actor
from zhili.org.routing import parent_code

_HELPING = (
    select(CollaborationRequest.id)
    .where(
        CollaborationRequest.case_id == bindparam("b_case_id"),
        CollaborationRequest.unit_id.in_(bindparam("b_units", expanding=True)),
    )
    .limit(1)
)


def calls_back(case: Case | StoredCase) -> bool:
    """Whether the dispatcher speaks for the reporter: a citizen with no login (12345, Open311, the web form).

    The centre that dispatched the case calls them back (回访) and records the rating they give on the phone.
    """
    no_login = case.originator_person_id is None and case.originator_account_id is None
    return no_login and case.channel in CITIZEN_CHANNELS


def caller_to_call_back(case: Case | StoredCase) -> bool:
    """Whether the case's reporter is a citizen someone phones for the rating (回访) when it closes.

    The centre speaks for a citizen with no login (`calls_back`); an operator who filed a 12345 call itself
    has the caller's phone on the case and calls them back the same way.
    """
    return calls_back(case) or (case.reporter_phone is not None and case.channel in CITIZEN_CHANNELS)


def held_blocks(actor: Actor) -> list[str]:
    """The divisions the actor's managing posts hold whole: those whose centre or command room the actor is.

    Triage (受理, 派单) is the turn of the dispatching division's own centre; a level above may act on a
    case below (`Party.DISPATCHER` reaches down) but it is not waiting for it (`cases.queue`).
    """
    if actor.blocks_held is not None:
        return sorted(actor.blocks_held)
    return sorted({grant.division_prefix for grant in actor.write_scope.grants if grant.department_id is None})


def parties_for(session: Session, actor: Actor, case: Case | StoredCase) -> frozenset[Party]:
    """The parties the actor acts as on this case; an actor can be several at once."""
    units = strip_units(actor)
    helping = bool(units) and session.scalar(_HELPING, {"b_case_id": case.id, "b_units": sorted(units)}) is not None
    return parties_given(actor, case, is_helping=helping)


def parties_given(actor: Actor, case: Case | StoredCase, *, is_helping: bool) -> frozenset[Party]:
    """The parties, given whether one of the actor's units was asked to help (`helping_column`)."""
    parties: set[Party] = set()
    if case.lead_unit_id is not None and case.lead_unit_id in actor.units:
        parties.add(Party.LEAD)
    if is_helping:
        parties.add(Party.COLLABORATOR)
    # The command room or centre that manages the dispatching division triages; the level above supervises.
    if actor.write_scope.reaches_unit(case.dispatcher_division, None):
        parties.add(Party.DISPATCHER)
        if calls_back(case):
            parties.add(Party.CITIZEN)
    parent = parent_code(case.dispatcher_division)
    if actor.write_scope.reaches_unit(parent, None):
        parties.add(Party.SUPERVISOR)
    if actor.person_id is not None and actor.person_id == case.originator_person_id:
        parties.add(Party.ORIGINATOR)
    if actor.account_id is not None and actor.account_id == case.originator_account_id:
        parties.add(Party.ORIGINATOR if case.originator_person_id else Party.CITIZEN)
    return frozenset(parties)
