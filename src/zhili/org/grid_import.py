"""Import real grid boundaries from GeoJSON: validated whole, applied in one transaction or not at all."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.errors import GEOSException, ShapelyError
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.validation import explain_validity
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import InvalidInputError
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.geometry import areal_from_geojson
from zhili.org.importing import bump_geometry_revision, geometry_columns
from zhili.org.models import Division
from zhili.org.permissions import require_manager, require_writable

MAX_PROBLEMS = 20
# A grid may poke out of its county by this share of its area (boundary data is simplified).
OUTSIDE_TOLERANCE = 0.02
# Shared area (as a share of the smaller grid) above which two grids overlap.
OVERLAP_TOLERANCE = 1e-6


@dataclass
class GridFeature:
    """A parsed feature: where it goes and its polygon."""

    index: int
    code: str | None
    name: str
    village_code: str
    geom: Polygon | MultiPolygon


def _parse_collection(raw: bytes) -> list[Any]:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        message = f"the file is not valid JSON: {exc}"
        raise InvalidInputError(message) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        message = "expected a GeoJSON FeatureCollection"
        raise InvalidInputError(message)
    features = data.get("features")
    if not isinstance(features, list) or not features:
        message = "the FeatureCollection has no features"
        raise InvalidInputError(message)
    return features


def _parse_properties(where: str, feature: Any) -> tuple[str, str, str | None] | str:
    """(village code, name, grid code) of a feature, or the problem with them."""
    props = feature.get("properties") if isinstance(feature, dict) else None
    if not isinstance(props, dict):
        return f"{where}: no properties object"
    village, name, code = props.get("village_code"), props.get("name"), props.get("code")
    village_code = DivisionCode.parse(village) if isinstance(village, str) else None
    if village_code is None or village_code.level is not DivisionLevel.VILLAGE:
        return f"{where}: village_code must be a 12-digit village code"
    if not isinstance(name, str) or not name.strip():
        return f"{where}: name is required"
    grid_code = DivisionCode.parse(code) if isinstance(code, str) else None
    if code is not None and (grid_code is None or grid_code.parent != village_code):
        return f"{where}: code must be 15 digits starting with its village_code {village}"
    return village_code.value, name.strip(), code


def _parse_geometry(where: str, feature: dict[str, Any]) -> Polygon | MultiPolygon | str:
    """The feature's polygon, or the problem with it (unreadable, wrong type, self-intersecting)."""
    try:
        geom = shape(feature.get("geometry") or {})
    except (ShapelyError, GEOSException, ValueError, TypeError, AttributeError, KeyError) as exc:
        return f"{where}: unreadable geometry ({exc})"
    if not isinstance(geom, Polygon | MultiPolygon) or geom.is_empty:
        return f"{where}: geometry must be a non-empty Polygon or MultiPolygon, not {geom.geom_type}"
    if not geom.is_valid:
        return f"{where}: invalid polygon: {explain_validity(geom)}"
    return geom


def _parse_feature(index: int, feature: Any, problems: list[str]) -> GridFeature | None:
    where = f"feature {index}"
    props = _parse_properties(where, feature)
    if isinstance(props, str):
        problems.append(props)
        return None
    geom = _parse_geometry(f"{where} ({props[1]})", feature)
    if isinstance(geom, str):
        problems.append(geom)
        return None
    village, name, code = props
    return GridFeature(index, code, name, village, geom)


def _check_places(session: Session, grids: list[GridFeature], problems: list[str]) -> dict[str, Division]:
    villages = {
        v.code: v
        for v in session.scalars(
            select(Division).where(Division.code.in_({g.village_code for g in grids}), Division.level == "village")
        )
    }
    counties = {
        c.code: areal_from_geojson(c.geometry)
        for c in session.scalars(
            select(Division).where(
                Division.code.in_({_county(g.village_code) for g in grids}), Division.geometry.is_not(None)
            )
        )
    }
    for grid in grids:
        if grid.village_code not in villages:
            problems.append(f"feature {grid.index}: unknown village code {grid.village_code}")
            continue
        county = counties.get(_county(grid.village_code))
        if county is not None and grid.geom.difference(county).area > OUTSIDE_TOLERANCE * grid.geom.area:
            problems.append(f"feature {grid.index} ({grid.name}): lies outside its county {_county(grid.village_code)}")
    return villages


def _check_overlaps(grids: list[GridFeature], problems: list[str]) -> None:
    tree = shapely.STRtree([g.geom for g in grids])
    # "intersects", not "overlaps": a grid lying inside another must be caught too; neighbours
    # that only share an edge have an intersection of zero area and pass.
    left, right = tree.query([g.geom for g in grids], predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        shared = grids[i].geom.intersection(grids[j].geom).area if i < j else 0.0
        if shared > OVERLAP_TOLERANCE * min(grids[i].geom.area, grids[j].geom.area):
            problems.append(f"features {grids[i].index} and {grids[j].index} overlap")
    codes = [g.code for g in grids if g.code is not None]
    problems.extend(f"grid code {code} appears more than once" for code in {c for c in codes if codes.count(c) > 1})


def _check_against_stored(session: Session, grids: list[GridFeature], problems: list[str]) -> None:
    """A new or reshaped grid must not overlap a stored grid that the file leaves as it is."""
    min_lon, min_lat, max_lon, max_lat = shapely.union_all([g.geom for g in grids]).bounds
    reshaped = {g.code for g in grids if g.code}
    stored = session.execute(
        select(Division.code, Division.geometry).where(
            Division.level == "grid",
            Division.geometry.is_not(None),
            Division.max_lon >= min_lon,
            Division.max_lat >= min_lat,
            Division.min_lon <= max_lon,
            Division.min_lat <= max_lat,
        )
    ).all()
    others = [(code, areal_from_geojson(geometry)) for code, geometry in stored if code not in reshaped]
    if not others:
        return
    tree = shapely.STRtree([geom for _code, geom in others])
    for grid in grids:
        for index in tree.query(grid.geom, predicate="intersects").tolist():
            code, geom = others[index]
            if grid.geom.intersection(geom).area > OVERLAP_TOLERANCE * min(grid.geom.area, geom.area):
                problems.append(
                    f"feature {grid.index} ({grid.name}) overlaps stored grid {code}; "
                    "to redraw that grid, give its code in the file"
                )


def parse_grids(session: Session, raw: bytes) -> list[GridFeature]:
    """Parse and check the whole file; raise one error listing every problem found."""
    problems: list[str] = []
    parsed = [_parse_feature(i, f, problems) for i, f in enumerate(_parse_collection(raw), start=1)]
    grids = [g for g in parsed if g is not None]
    if not problems:
        _check_places(session, grids, problems)
        _check_overlaps(grids, problems)
    if not problems:
        _check_against_stored(session, grids, problems)
    if problems:
        message = f"{len(problems)} problem(s) in the grid file; nothing was imported: " + "; ".join(
            problems[:MAX_PROBLEMS]
        )
        raise InvalidInputError(message, errors=problems[:MAX_PROBLEMS])
    return grids


def _county(village_code: str) -> str:
    return DivisionCode(village_code).at(DivisionLevel.COUNTY).value


def _next_codes(session: Session, village_code: str, count: int) -> list[str]:
    top = session.scalar(
        select(func.max(Division.code)).where(Division.parent_code == village_code, Division.level == "grid")
    )
    village = DivisionCode(village_code)
    start = int(top.removeprefix(village_code)) + 1 if top else 1
    if start + count - 1 > village.max_children:
        message = f"village {village_code} has no free grid numbers left"
        raise InvalidInputError(message)
    return [village.child(n).value for n in range(start, start + count)]


def import_grids(session: Session, raw: bytes, *, source: str, actor: Actor, clock: Clock) -> dict[str, int]:
    """Insert new grids and redraw the grids whose code is given; all or nothing.

    Grids never overlap: a new grid may only take ground that the same file frees by redrawing
    the stored grids there.
    """
    require_manager(actor)
    grids = parse_grids(session, raw)
    for grid in grids:
        require_writable(actor, grid.village_code, None, what=f"village {grid.village_code}")
    existing = set(session.scalars(select(Division.code).where(Division.code.in_([g.code for g in grids if g.code]))))
    inserted = updated = 0
    # Grids with a code first: numbers given in the file are taken before new ones are handed out.
    for grid in sorted(grids, key=lambda g: g.code is None):
        values = {
            "name": grid.name,
            "is_synthetic": False,
            "source": f"import:{source}"[:120],
            **geometry_columns(grid.geom),
        }
        if grid.code in existing:
            session.execute(update(Division).where(Division.code == grid.code).values(**values))
            updated += 1
            continue
        code = grid.code or _next_codes(session, grid.village_code, 1)[0]
        session.add(Division(code=code, level="grid", parent_code=grid.village_code, **values))
        session.flush()
        inserted += 1
    bump_geometry_revision(session)
    counts = {"inserted": inserted, "updated": updated}
    audit.record_by(
        session,
        actor,
        "org.grids.imported",
        entity_type="grid_file",
        entity_id=source[:80],
        after=counts,
        at=clock.now(),
    )
    commit(session)
    return counts
