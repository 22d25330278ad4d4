"""Where the map opens: the bounding box of the divisions in the user's scope."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.core.auth import Actor
from zhili.org.models import Division


def scope_bounds(session: Session, actor: Actor) -> list[float] | None:
    """[west, south, east, north] around the roots of the actor's scope; None for everything (the whole city)."""
    if actor.scope.is_everything:
        return None
    prefixes = [prefix for prefix in actor.scope.division_prefixes if prefix]
    if not prefixes:
        return None
    row = session.execute(
        select(
            func.min(Division.min_lon),
            func.min(Division.min_lat),
            func.max(Division.max_lon),
            func.max(Division.max_lat),
        ).where(Division.code.in_(prefixes))
    ).one()
    if any(value is None for value in row):
        return None
    return [float(value) for value in row]
