"""An alert's areas as stored divisions: the pure resolution (`areas`) over the polygons and codes in the database."""

from __future__ import annotations

from collections.abc import Sequence

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.alerts.areas import DivisionShape, How, Resolved, bounds_of, resolve_area
from zhili.alerts.message import Area
from zhili.org.division_code import DivisionCode, DivisionLevel, codes_of, outermost
from zhili.org.models import Division


def resolve_divisions(session: Session, areas: Sequence[Area]) -> list[Resolved]:
    """The stored divisions the areas name or reach, outermost first, each with how it was found.

    A geocode naming a division we do not hold (a village not imported) falls back to its nearest
    stored ancestor; codes outside the stored tree (another province) resolve to nothing.
    """
    counties, townships = _shapes(session, areas)
    found: dict[str, How] = {}
    for area in areas:
        for resolved in resolve_area(area, counties, townships):
            found.setdefault(resolved.code, resolved.how)
    stored = _nearest_stored(session, list(found))
    kept: dict[str, How] = {}
    for code, how in found.items():
        if (division := stored.get(code)) is not None:
            kept.setdefault(division, how)
    return [Resolved(code.value, kept[code.value]) for code in outermost(codes_of(kept))]


def _nearest_stored(session: Session, codes: list[str]) -> dict[str, str]:
    """Each code mapped to itself when stored, else to its nearest stored ancestor."""
    lineages = {code: DivisionCode(code).lineage for code in codes}
    wanted = {c.value for lineage in lineages.values() for c in lineage}
    stored = set(session.scalars(select(Division.code).where(Division.code.in_(wanted)))) if wanted else set()
    found: dict[str, str] = {}
    for code, lineage in lineages.items():
        for candidate in reversed(lineage):
            if candidate.value in stored:
                found[code] = candidate.value
                break
    return found


def _shapes(session: Session, areas: Sequence[Area]) -> tuple[list[DivisionShape], list[DivisionShape]]:
    """The county and township polygons whose boxes meet the areas' shapes (none when the areas have no shape)."""
    box = bounds_of(areas)
    if box is None:
        return [], []
    min_lon, min_lat, max_lon, max_lat = box
    rows = session.execute(
        select(Division.code, Division.level, Division.geometry).where(
            Division.level.in_([DivisionLevel.COUNTY.value, DivisionLevel.TOWNSHIP.value]),
            Division.geometry.is_not(None),
            Division.min_lon <= max_lon,
            Division.max_lon >= min_lon,
            Division.min_lat <= max_lat,
            Division.max_lat >= min_lat,
        )
    )
    counties: list[DivisionShape] = []
    townships: list[DivisionShape] = []
    for code, level, geometry in rows:
        geom = shapely.from_geojson(geometry)
        if geom is None:
            continue
        shape = DivisionShape(code, geom)
        (counties if level == DivisionLevel.COUNTY.value else townships).append(shape)
    return counties, townships
