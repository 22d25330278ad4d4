"""Routing facts of the organisation: which unit serves a place, who is a grid's contact.

These are public facts about the organisation, the same for every caller, so they are not scoped;
callers that answer a person check that person's scope first.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, bindparam, exists, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from zhili.core.errors import InvalidInputError, NotFoundError
from zhili.core.prepared import Prepared
from zhili.org.division_code import CODE_LENGTHS, DivisionCode, DivisionLevel
from zhili.org.models import EnforcementItem, GridContact, Position
from zhili.org.queries import department_serving, nearest_department_serving
from zhili.org.roles import Role
from zhili.org.schemas import DepartmentRead

ENFORCEMENT_TEAM_KIND = "enforcement"


# Prepared once: routing runs for every report.
_ITEM = Prepared(
    select(EnforcementItem.exercised_level, EnforcementItem.kind_code).where(
        EnforcementItem.code == bindparam("b_code")
    )
)
_GRID_CONTACT = Prepared(
    select(GridContact.position_id).where(
        GridContact.grid_code == bindparam("b_grid"), GridContact.department_id == bindparam("b_unit")
    )
)


def ancestor_codes(division_code: str) -> list[str]:
    """The division and its ancestors, finest first (codes nest by prefix)."""
    return [code.value for code in reversed(DivisionCode(division_code).lineage)]


def parent_code(division_code: str) -> str:
    """The governing level above a division (village → township → county → city).

    The city is the top of the governance hierarchy: it is its own level above.
    """
    parent = DivisionCode(division_code).parent
    return parent.value if parent is not None and parent.has_level(DivisionLevel.CITY) else division_code


def nearest_unit(session: Session, *, kind: str, division_code: str) -> DepartmentRead | None:
    """The unit of a kind that serves the division or, failing that, its nearest ancestor."""
    return nearest_department_serving(session, kind=kind, division_codes=ancestor_codes(division_code))


def unit_for_enforcement(session: Session, *, item_code: str, division_code: str) -> DepartmentRead:
    """The unit that exercises an enforcement item at a place (一支队伍管执法).

    An item delegated to townships is exercised by the township's comprehensive enforcement
    team; any other item by the county department of the item's kind.
    """
    item = _ITEM.run(session, {"b_code": item_code}).first()
    if item is None:
        raise NotFoundError(f"enforcement item {item_code} not found")
    code = DivisionCode(division_code)
    if not code.has_level(DivisionLevel.COUNTY):
        raise InvalidInputError("enforcement is exercised in a county or below; give a county or lower division")
    delegated = item.exercised_level == "township" and code.has_level(DivisionLevel.TOWNSHIP)
    kind, place = (
        (ENFORCEMENT_TEAM_KIND, code.at(DivisionLevel.TOWNSHIP).value)
        if delegated
        else (item.kind_code, code.at(DivisionLevel.COUNTY).value)
    )
    unit = department_serving(session, kind=kind, division_code=place)
    if unit is None:
        raise NotFoundError(f"no {kind} unit serves division {place}")
    return unit


def grid_contact_position(session: Session, *, grid_code: str, department_id: int) -> int | None:
    """The post a department named as its contact for a grid (两网融合), if any."""
    found = _GRID_CONTACT.run(session, {"b_grid": grid_code, "b_unit": department_id}).scalar()
    return None if found is None else int(found)


# The posts that triage for a division: its governance centre (社会治理中心) or township command room.
CENTRE_ROLES = (Role.CENTRE_STAFF.value, Role.TOWNSHIP_COMMAND.value)


def centre_posts(division_code: str | ColumnElement[str]) -> ColumnElement[bool]:
    """A condition on `positions`: the centre or command room posts that triage for this division.

    Those of the division itself, or, where it has none (a township whose command room is not yet
    staffed), of the nearest division above that has one: the same posts whose to-dos the case
    lists wait on (`nearest_held`), so the notice and the to-do reach the same people.
    """
    post = aliased(Position)
    nearest = (
        select(post.division_code)
        .where(
            post.division_code.in_([func.substr(division_code, 1, n) for n in CODE_LENGTHS]),
            post.role.in_(CENTRE_ROLES),
            post.department_id.is_(None),
        )
        .order_by(func.length(post.division_code).desc())
        .limit(1)
        .scalar_subquery()
    )
    return (Position.division_code == nearest) & Position.role.in_(CENTRE_ROLES) & Position.department_id.is_(None)


def nearest_held(
    column: ColumnElement[str] | InstrumentedAttribute[str],
    held: Iterable[str],
    roles: Iterable[str],
    *,
    including_own: bool,
) -> ColumnElement[bool]:
    """Rows whose division (`column`) has one of `held` as its nearest division with a territorial post of `roles`.

    From the row's own division up (`including_own`: a case's dispatching division, whose own centre triages
    it), or from its parent up (a task's level above). Per held division: the row lies under it, and no
    division between (nor the row's own, when counted) has such a post, each looked up by its code
    (`substr` of the row's) in the posts' division index.
    """
    post = aliased(Position)  # a list's rows may join positions of their own
    found: list[ColumnElement[bool]] = []
    for code in sorted(set(held)):
        # The row's divisions finer than the held one, by their codes: an index lookup each, not a scan of
        # the posts per row. A prefix longer than the row's code is the row's own code again: counted
        # only when the row's own division is (`including_own`).
        finer = [func.substr(column, 1, n) for n in CODE_LENGTHS if n > len(code)]
        nearer = and_(post.division_code.in_(finer), func.length(post.division_code) > len(code))
        if not including_own:
            nearer = and_(nearer, post.division_code != column)
        closer = exists().where(post.role.in_(sorted(roles)), post.department_id.is_(None), nearer)
        under = column.startswith(code) if including_own else and_(column.startswith(code), column != code)
        found.append(and_(under, ~closer))
    return or_(false(), *found)
