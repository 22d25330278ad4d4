"""Case points for the map: the located cases the actor sees, in a box, with the queue's light; capped."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from zhili.cases.models import Case
from zhili.cases.queries import OPEN_STATUSES
from zhili.cases.visibility import visible_cases
from zhili.clocks.lights import light_at
from zhili.core.auth import Actor
from zhili.core.errors import InvalidInputError
from zhili.matters.models import MatterVersion

MAX_POINTS = 2_000
COLUMNS = (
    Case.id,
    Case.number,
    Case.lon,
    Case.lat,
    Case.matter_code,
    Case.status,
    Case.phase_yellow_at,
    Case.phase_due_at,
)
BBox = tuple[float, float, float, float]


class CasePoint(BaseModel):
    """One case on the map."""

    id: int
    number: str
    lon: float
    lat: float
    matter_code: str
    matter_name_zh: str
    matter_name_en: str
    status: str
    is_open: bool
    light: str | None = Field(description="green, yellow or red while the case is open (as the queue shows it)")


class CasePoints(BaseModel):
    """The points, newest first, and whether the cap cut them short."""

    points: list[CasePoint]
    truncated: bool = Field(description=f"more than {MAX_POINTS} cases matched: zoom in or filter")


def parse_bbox(text: str | None) -> BBox | None:
    """`west,south,east,north` in degrees, or None; anything else is a 422."""
    if not text:
        return None
    try:
        west, south, east, north = (float(part) for part in text.split(","))
    except ValueError as exc:
        raise InvalidInputError("bbox must be west,south,east,north in degrees") from exc
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):  # noqa: PLR2004 - degrees
        raise InvalidInputError("bbox must be west,south,east,north in degrees, west ≤ east and south ≤ north")
    return west, south, east, north


def case_points(
    session: Session,
    actor: Actor,
    *,
    matter: str | None,
    bbox: BBox | None,
    include_closed: bool,
    now: datetime,
) -> CasePoints:
    """Located cases the actor sees (`visible_cases`), optionally of one matter, in a box, open ones only by default."""
    conditions: list[ColumnElement[bool]] = [visible_cases(actor), Case.lon.is_not(None), Case.lat.is_not(None)]
    if matter:
        conditions.append(Case.matter_code == matter)
    if bbox is not None:
        west, south, east, north = bbox
        conditions += [Case.lon.between(west, east), Case.lat.between(south, north)]
    if not include_closed:
        conditions.append(Case.status.in_(OPEN_STATUSES))
    stmt = (
        select(*COLUMNS, MatterVersion.name_zh, MatterVersion.name_en)
        .join(MatterVersion, MatterVersion.id == Case.matter_version_id)
        .where(*conditions)
        # `id + 0`: sort the few open cases found by the status index, rather than walk the whole
        # table backwards by id looking for them (SQLite's planner chose the walk: 1.4 s at a million cases).
        .order_by((Case.id + 0).desc())
        .limit(MAX_POINTS + 1)
    )
    rows = session.execute(stmt).all()
    points = [_point(row, now) for row in rows[:MAX_POINTS]]
    return CasePoints(points=points, truncated=len(rows) > MAX_POINTS)


def _point(row: Any, now: datetime) -> CasePoint:
    is_open = row.status in OPEN_STATUSES
    return CasePoint(
        id=row.id,
        number=row.number,
        lon=row.lon,
        lat=row.lat,
        matter_code=row.matter_code,
        matter_name_zh=row.name_zh,
        matter_name_en=row.name_en,
        status=row.status,
        is_open=is_open,
        light=light_at(now, row.phase_yellow_at, row.phase_due_at).value if is_open else None,
    )
