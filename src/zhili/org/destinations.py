"""Where a post moves to, from what its manager types: a unit's name for a department post, a place's for the others.

Only units and places the manager manages are offered; a name that names nothing, or several, is
refused by the form's field with the candidates, so that nobody needs a code or an id.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.core.auth import Actor
from zhili.core.errors import InvalidInputError
from zhili.org import visibility
from zhili.org.division_code import DivisionCode
from zhili.org.models import Department
from zhili.org.places import MAX_LISTED, MAX_TEXT, exact_places, listed
from zhili.org.schemas import PositionMove, PositionRead

MAX_UNITS = 50


class DestinationError(InvalidInputError):
    """A destination that names no unit or place the manager manages, or several: worded by `key` and `params`."""

    def __init__(self, key: str, **params: str) -> None:
        message = f"cannot move the post there ({key.rsplit('.', 1)[-1]})"
        super().__init__(message, errors=[{"field": "to", "message": message, "key": key, "params": params}])


def destination(session: Session, actor: Actor, post: PositionRead, text: str) -> PositionMove:
    """The unit (a department post) or the place of the post's level (the others) that the text names."""
    text = "".join(text.split())
    if not text:
        raise DestinationError("org.move.error.blank")
    if len(text) > MAX_TEXT:
        raise DestinationError("org.move.error.unknown_place", name=text[:MAX_TEXT])
    if post.department_id is not None:
        return PositionMove(department_id=_unit(session, actor, text))
    return PositionMove(division_code=_place(session, actor, text, level=DivisionCode(post.division_code).level))


def _unit(session: Session, actor: Actor, text: str) -> int:
    # The units managed are chosen in the statement, before its limit: one managed is never cut off.
    managed = session.execute(
        select(Department.id, Department.name)
        .where(
            visibility.departments(actor),
            actor.write_scope.where(Department.division_code, Department.id),
            Department.name.contains(text, autoescape=True),
        )
        .order_by(func.length(Department.name), Department.id)
        .limit(MAX_UNITS)
    ).all()
    exact = [row for row in managed if row.name == text]
    if len(exact) == 1 or len(managed) == 1:
        return int((exact or managed)[0].id)
    if not managed:
        raise DestinationError("org.move.error.unknown_unit", name=text)
    names = "、".join(row.name for row in managed[:MAX_LISTED])
    raise DestinationError("org.move.error.ambiguous_unit", name=text, matches=names)


def _place(session: Session, actor: Actor, text: str, *, level: str) -> str:
    matches = [m for m in exact_places(session, actor, text) if actor.write_scope.reaches_place(m.division.code)]
    same_level = [m for m in matches if m.division.level == level]
    if len(same_level) == 1:
        return same_level[0].division.code
    if same_level:
        raise DestinationError("org.move.error.ambiguous_place", name=text, matches=listed(same_level, from_depth=2))
    if matches:
        raise DestinationError("org.move.error.level", name=text)
    raise DestinationError("org.move.error.unknown_place", name=text)
