"""The only module that decides who sees which enterprises, their feeds and their warnings.

A firm is seen through a **block** grant over its division (the county's social governance centre,
a township's command room, a grid worker over their grid), or through a **strip** grant of a unit
that handles wage arrears (the matter's lead kind, 人力社保) over its division. Other strips (traffic
police, housing) do not see the register: it is labour and credit data, not theirs. Outside the scope
the answer is 404.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from zhili.core.auth import Actor, Scope
from zhili.core.errors import NotFoundError
from zhili.early_warning.models import Enterprise
from zhili.org.models import Department

WAGE_KIND: Final = "hrss"  # the lead kind of the wage_arrears matter


def reach(session: Session, actor: Actor) -> Scope:
    """The part of the actor's scope that reaches enterprises: blocks, and the strips of labour units."""
    if actor.scope.is_everything:
        return actor.scope
    strips = {grant.department_id for grant in actor.scope.grants if grant.department_id is not None}
    labour = set(
        session.scalars(select(Department.id).where(Department.id.in_(strips), Department.kind_code == WAGE_KIND))
        if strips
        else ()
    )
    kept = [g for g in actor.scope.grants if g.department_id is None or g.department_id in labour]
    return Scope(grants=tuple(kept))


def sees_register(actor: Actor) -> bool:
    """Whether any enterprise can fall in the actor's reach: a block post, or a post in a labour unit.

    `reach` without a read: for what to offer (a menu), not for what to show.
    """
    if actor.scope.is_everything or WAGE_KIND in actor.unit_kinds:
        return True
    return any(grant.department_id is None for grant in actor.scope.grants)


def visible_enterprises(session: Session, actor: Actor) -> ColumnElement[bool]:
    """A condition on `Enterprise` selecting the firms the actor sees."""
    return reach(session, actor).where(Enterprise.division_code)


def require_enterprise(session: Session, actor: Actor, enterprise_id: int) -> Enterprise:
    """The firm, or 404 when it does not exist or lies outside the actor's reach."""
    firm = session.get(Enterprise, enterprise_id)
    if firm is None or not reach(session, actor).reaches_place(firm.division_code):
        raise NotFoundError("enterprise not found")
    return firm


JUDGING_ROLES: Final = frozenset({"admin", "centre_staff"})


def may_judge(session: Session, actor: Actor) -> bool:
    """Whether the actor records verdicts: administrators, the centre, the labour unit's people."""
    if actor.has_any_role(JUDGING_ROLES):
        return True
    return any(grant.department_id is not None for grant in reach(session, actor).grants)
