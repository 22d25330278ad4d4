"""Who reads alerts (the centres and administrators) and which: the one owner of the alerts' read scope.

An administrator reads every alert. A centre reads the alerts resolved to a division related to its
scope: inside it (湖镇镇 for 龙游县's centre) or above it (衢州市 for 龙游县's centre). An alert that
resolved to none of our divisions is read by administrators only.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, literal, or_, true

from zhili.alerts.models import AlertDivision, AlertRecord
from zhili.core.auth import Actor
from zhili.core.errors import ForbiddenError
from zhili.org.roles import Role

READING_ROLES = frozenset({Role.ADMIN, Role.CENTRE_STAFF})


def may_read(actor: Actor) -> bool:
    """True for the centres and administrators (the menu offers 预警 to them only)."""
    return actor.has_any_role(READING_ROLES)


def require_reader(actor: Actor) -> None:
    """Refuse (403) anyone but a centre or an administrator."""
    if not may_read(actor):
        raise ForbiddenError(
            "only a social governance centre or an administrator reads alerts", message_key="forbidden.alerts_read"
        )


def visible_alerts(actor: Actor) -> ColumnElement[bool]:
    """True (in SQL) for the alerts the actor may read."""
    if actor.scope.is_everything:
        return true()
    if not actor.scope.grants:
        return false()
    related = [
        or_(
            AlertDivision.division_code.startswith(prefix, autoescape=True),
            literal(prefix).startswith(AlertDivision.division_code),
        )
        for prefix in actor.scope.division_prefixes
    ]
    return exists().where(AlertDivision.alert_id == AlertRecord.id, or_(*related))
