"""Notices on the workbench that concern the whole system: a work calendar that runs out within the horizon."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from zhili.clocks import queries as clocks
from zhili.core.auth import Actor
from zhili.org.routing import CENTRE_ROLES


def calendar_gaps(session: Session, actor: Actor, *, now: datetime) -> list[int]:
    """For administrators and the centres: the unknown years the coming days reach (none for everyone else)."""
    if not (actor.is_admin or actor.has_any_role(CENTRE_ROLES)):
        return []
    return clocks.unknown_years_ahead(session, now)
