"""Who may change the organisation where: managing posts, and their write scope."""

from __future__ import annotations

from collections.abc import Iterable

from zhili.core.auth import Actor
from zhili.core.errors import ForbiddenError
from zhili.org import visibility
from zhili.org.roles import Role


def require_manager(actor: Actor) -> None:
    """Refuse unless the actor holds a managing post (administrator, centre, command room, unit head)."""
    if not (actor.write_scope.is_everything or actor.write_scope.grants):
        raise ForbiddenError(
            "only administrators, the governance centre, township command rooms and "
            "department heads may change the organisation",
            message_key="forbidden.org_manager",
        )


def require_writable(actor: Actor, division_code: str, department_id: int | None, *, what: str) -> None:
    """Refuse a change to a row outside the actor's managing posts.

    A row the actor cannot even see is 404, as everywhere; one they see but do not manage is 403.
    """
    if actor.write_scope.reaches_unit(division_code, department_id):
        return
    if department_id is None:
        visibility.require_place(actor, division_code, what=what)
    else:
        visibility.require_unit(actor, division_code, department_id, what=what)
    raise ForbiddenError(
        f"{what} lies outside the part of the organisation you manage", message_key="forbidden.org_outside"
    )


def manages_any(actor: Actor, posts: Iterable[tuple[str, int | None]]) -> bool:
    """Whether the actor manages one of these posts (division code, unit): the person is theirs to change."""
    return actor.is_admin or any(actor.write_scope.reaches_unit(code, unit) for code, unit in posts)


def manages_login(actor: Actor, posts: Iterable[tuple[str, str, int | None]]) -> bool:
    """Whether the actor may manage the login of a person holding these posts (role, division code, unit): all of them.

    A login opens every post its person holds, so a manager who may set its password must manage each
    one; an administrator's post is managed by administrators only.
    """
    if actor.is_admin:
        return True
    found = list(posts)
    return bool(found) and all(
        role != Role.ADMIN and actor.write_scope.reaches_unit(code, unit) for role, code, unit in found
    )
