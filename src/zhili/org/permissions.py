"""Permissions over the organisation that depend on its roles."""

from __future__ import annotations

from zhili.core.auth import Actor
from zhili.core.errors import ForbiddenError
from zhili.org.roles import MANAGING_ROLES


def require_manager(actor: Actor) -> None:
    """Refuse unless the actor may manage the organisation inside their scope."""
    if not actor.has_any_role(MANAGING_ROLES):
        raise ForbiddenError(
            "only administrators, the governance centre, township command rooms and "
            "department heads may change the organisation"
        )
