"""Which cases a person sees: the only module that applies `core.auth.Scope` to cases.

A case is seen by place (a block over its place; a strip over its place as the lead unit), by the
units routed it, leading it, asked to help or given a task by its meeting, and by the account that
reported it. Every case list, page, photo, point and export filters with `visible_cases`;
tests/test_visibility_contract.py keeps other modules from applying the scope on their own.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import ColumnElement, Select, exists, false, or_, select

from zhili.cases.models import Case, CaseTask, CollaborationRequest
from zhili.core.auth import Actor


def strip_units(actor: Actor) -> set[int]:
    """The units the actor works in (their department posts)."""
    return set(actor.units)


@lru_cache(maxsize=1024)
def helping_column(actor: Actor) -> ColumnElement[bool]:
    """True where one of the actor's units was asked to help with the case: read with the case row."""
    units = strip_units(actor)
    if not units:
        return false()
    # Correlated: read with one case row (or a page of them), it looks up that case's requests only.
    return exists(_helped_by(units).where(CollaborationRequest.case_id == Case.id))


def _helped_by(units: set[int]) -> Select[int]:
    """The cases one of these units was asked to help with."""
    return select(CollaborationRequest.case_id).where(CollaborationRequest.unit_id.in_(sorted(units)))


@lru_cache(maxsize=1024)
def visible_cases(actor: Actor) -> ColumnElement[bool]:
    """Cases the actor may see.

    By place (blocks); as the unit routed to, leading, helping or owning a meeting's task (strips: the
    notice of the task links to the case, where the task is marked done); and those they reported.
    Built once per actor (an Actor is an immutable value: equal actors see the same cases), so a
    request does not rebuild the clause and SQLAlchemy reuses its cache key.
    """
    conditions = [actor.scope.where(Case.place_code, Case.lead_unit_id)]
    units = strip_units(actor)
    if units:
        # Uncorrelated: the cases helped or tasked are read once by the units' indexes, then each case row is
        # a lookup in them. (A correlated EXISTS ran two subqueries per case: a list of all a county's cases
        # for a unit's officer took 50 ms instead of a few.)
        tasked = select(CaseTask.case_id).where(CaseTask.owner_unit_id.in_(sorted(units)))
        conditions += [Case.id.in_(_helped_by(units)), Case.id.in_(tasked), Case.routed_unit_id.in_(sorted(units))]
    if actor.account_id is not None:
        conditions.append(Case.originator_account_id == actor.account_id)
    return or_(*conditions)
