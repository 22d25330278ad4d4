"""Import real grid boundaries from GeoJSON: validated whole, applied in one transaction or not at all."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as default
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
from zhili.core.errors import ForbiddenError, InvalidInputError, NotFoundError, PayloadTooLargeError
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.geometry import areal_from_geojson
from zhili.org.importing import bump_geometry_revision, geometry_columns
from zhili.org.models import Division
from zhili.org.permissions import require_manager, require_writable
from zhili.org.schemas import GridImportRead, ImportedGrid

MAX_PROBLEMS = 20
MAX_FILE_BYTES = 5 * 1024 * 1024
"""The largest boundary file taken (the API's body, the page's upload): a county's grids; split by township above."""
# A grid may poke out of its county by this share of its area (boundary data is simplified).
OUTSIDE_TOLERANCE = 0.02
# Shared area (as a share of the smaller grid) above which two grids overlap.
OVERLAP_TOLERANCE = 1e-6
VALIDITY = re.compile(r"(?P<reason>[^\[]+)(?:\[(?P<at>[^\]]*)\])?")
"""What `explain_validity` says: a reason, then where (`Self-intersection[119.175 29.165]`)."""


class FileTooLargeError(PayloadTooLargeError):
    """A boundary file over `MAX_FILE_BYTES` (413)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a boundary file, by the feature (numbered from 1) and the field it concerns.

    `field` is the path in the file (`features[2].properties.village_code`: JSON's own, counted from 0);
    `kind` names the problem for the pages' message catalog (`org.grid_import.error.<kind>`), filled in
    with `params`; `message` says it in English.
    """

    field: str
    kind: str
    message: str
    feature: int | None = None
    params: Mapping[str, object] = default(default_factory=dict)

    def as_error(self) -> dict[str, Any]:
        """The problem as an entry of a problem details' `errors`."""
        found: dict[str, Any] = {"field": self.field, "kind": self.kind, "message": self.message}
        if self.feature is not None:
            found["feature"] = self.feature
        if self.params:
            found["params"] = dict(self.params)
        return found


@dataclass
class GridFeature:
    """A parsed feature: where it goes and its polygon."""

    index: int
    code: str | None
    name: str
    village_code: str
    geom: Polygon | MultiPolygon

    def path(self, member: str) -> str:
        """The path of one of this feature's members in the file (`features[0].geometry`)."""
        return _path(self.index, member)

    def problem(self, member: str, kind: str, message: str, **params: object) -> Problem:
        """A problem with this feature's member, naming the feature by its number and name."""
        return Problem(self.path(member), kind, message, self.index, {"feature_name": self.name, **params})


def _path(index: int, member: str) -> str:
    return f"features[{index - 1}].{member}"


def refused(problems: list[Problem]) -> InvalidInputError:
    """The refusal of a whole file: every problem found (the first `MAX_PROBLEMS`), nothing imported."""
    shown = problems[:MAX_PROBLEMS]
    message = f"{len(problems)} problem(s) in the grid file; nothing was imported: " + "; ".join(
        p.message for p in shown
    )
    return InvalidInputError(message, errors=[p.as_error() for p in shown], problem_count=len(problems))


def _file_problem(field_name: str, kind: str, message: str) -> InvalidInputError:
    return refused([Problem(field_name, kind, message)])


def _parse_collection(raw: bytes, max_bytes: int | None) -> list[Any]:
    if max_bytes is not None and len(raw) > max_bytes:
        message = f"the file is over {max_bytes:,} bytes (split it by township)"
        raise FileTooLargeError(message, errors=[Problem("file", "too_big", message).as_error()])
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError; nesting too deep recurses
        raise _file_problem("file", "json", f"the file is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise _file_problem("type", "collection", "expected a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise _file_problem("features", "no_features", "the FeatureCollection has no features")
    return features


def _parse_properties(index: int, feature: Any) -> tuple[str, str, str | None] | Problem:
    """(village code, name, grid code) of a feature, or the problem with them."""
    where = f"feature {index}"
    props = feature.get("properties") if isinstance(feature, dict) else None
    if not isinstance(props, dict):
        return Problem(_path(index, "properties"), "properties", f"{where}: no properties object", index)
    village, name, code = props.get("village_code"), props.get("name"), props.get("code")
    if not isinstance(name, str) or not name.strip():
        return Problem(_path(index, "properties.name"), "name", f"{where}: name is required", index)
    named = {"feature_name": name.strip()}
    village_code = DivisionCode.parse(village) if isinstance(village, str) else None
    if village_code is None or village_code.level is not DivisionLevel.VILLAGE:
        message = f"{where} ({name.strip()}): village_code must be a 12-digit village code"
        return Problem(_path(index, "properties.village_code"), "village_code", message, index, named)
    grid_code = DivisionCode.parse(code) if isinstance(code, str) else None
    if code is not None and (grid_code is None or grid_code.parent != village_code):
        message = f"{where} ({name.strip()}): code must be 15 digits starting with its village_code {village}"
        params = {**named, "village": village_code.value}
        return Problem(_path(index, "properties.code"), "code", message, index, params)
    return village_code.value, name.strip(), code


def _parse_geometry(index: int, name: str, feature: dict[str, Any]) -> Polygon | MultiPolygon | Problem:
    """The feature's polygon, or the problem with it (unreadable, wrong type, self-intersecting)."""
    where, path, named = f"feature {index} ({name})", _path(index, "geometry"), {"feature_name": name}
    try:
        geom = shape(feature.get("geometry") or {})
    except (ShapelyError, GEOSException, ValueError, TypeError, AttributeError, KeyError, RecursionError) as exc:
        return Problem(path, "geometry_unreadable", f"{where}: unreadable geometry ({exc})", index, named)
    if not isinstance(geom, Polygon | MultiPolygon) or geom.is_empty:
        message = f"{where}: geometry must be a non-empty Polygon or MultiPolygon, not {geom.geom_type}"
        return Problem(path, "geometry_type", message, index, {**named, "type": geom.geom_type})
    if not geom.is_valid:
        validity = explain_validity(geom)
        found = VALIDITY.fullmatch(validity)
        reason = (found["reason"].strip(), found["at"] or "") if found else (validity, "")
        params = {**named, "reason": reason[0], "at": reason[1]}
        return Problem(path, "geometry_invalid", f"{where}: invalid polygon: {validity}", index, params)
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):  # noqa: PLR2004 - WGS-84's range
        message = f"{where}: coordinates must be WGS-84 longitude, latitude (longitude first)"
        return Problem(path, "geometry_range", message, index, named)
    return geom


def _parse_feature(index: int, feature: Any, problems: list[Problem]) -> GridFeature | None:
    props = _parse_properties(index, feature)
    if isinstance(props, Problem):
        problems.append(props)
        return None
    geom = _parse_geometry(index, props[1], feature)
    if isinstance(geom, Problem):
        problems.append(geom)
        return None
    village, name, code = props
    return GridFeature(index, code, name, village, geom)


def _check_overlaps(grids: list[GridFeature], problems: list[Problem]) -> None:
    tree = shapely.STRtree([g.geom for g in grids])
    # "intersects", not "overlaps": a grid lying inside another must be caught too; neighbours
    # that only share an edge have an intersection of zero area and pass.
    left, right = tree.query([g.geom for g in grids], predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        shared = grids[i].geom.intersection(grids[j].geom).area if i < j else 0.0
        if shared > OVERLAP_TOLERANCE * min(grids[i].geom.area, grids[j].geom.area):
            first, second = grids[i], grids[j]
            message = f"features {first.index} and {second.index} overlap"
            problems.append(second.problem("geometry", "overlap", message, other=first.index))
    first_with: dict[str, int] = {}
    for grid in grids:
        if grid.code is None:
            continue
        if grid.code in first_with:
            message = f"feature {grid.index}: grid code {grid.code} appears more than once"
            problems.append(
                grid.problem("properties.code", "duplicate_code", message, code=grid.code, other=first_with[grid.code])
            )
        else:
            first_with[grid.code] = grid.index


def read_grid_file(raw: bytes, *, max_bytes: int | None = None) -> list[GridFeature]:
    """Parse and check the file on its own (no database): every problem found, or its grids.

    A file over `max_bytes` is refused with 413 (HTTP passes `MAX_FILE_BYTES`; the CLI takes any size).
    The checks that need the stored organisation (`check_against_stored`) follow the caller's scope.
    """
    problems: list[Problem] = []
    parsed = [_parse_feature(i, f, problems) for i, f in enumerate(_parse_collection(raw, max_bytes), start=1)]
    grids = [g for g in parsed if g is not None]
    if not problems:
        _check_overlaps(grids, problems)
    if problems:
        raise refused(problems)
    return grids


def _check_places(session: Session, grids: list[GridFeature], problems: list[Problem]) -> dict[str, Division]:
    villages = {
        v.code: v
        for v in session.scalars(
            select(Division).where(Division.code.in_({g.village_code for g in grids}), Division.level == "village")
        )
    }
    counties = {
        c.code: (c.name, areal_from_geojson(c.geometry))
        for c in session.scalars(
            select(Division).where(
                Division.code.in_({_county(g.village_code) for g in grids}), Division.geometry.is_not(None)
            )
        )
    }
    for grid in grids:
        if grid.village_code not in villages:
            message = f"feature {grid.index}: unknown village code {grid.village_code}"
            problems.append(
                grid.problem("properties.village_code", "unknown_village", message, village=grid.village_code)
            )
            continue
        county_code = _county(grid.village_code)
        county = counties.get(county_code)
        if county is not None and grid.geom.difference(county[1]).area > OUTSIDE_TOLERANCE * grid.geom.area:
            message = f"feature {grid.index} ({grid.name}): lies outside its county {county_code}"
            problems.append(
                grid.problem("geometry", "outside_county", message, county=county_code, county_name=county[0])
            )
    return villages


def _check_against_stored(session: Session, grids: list[GridFeature], problems: list[Problem]) -> None:
    """A new or reshaped grid must not overlap a stored grid that the file leaves as it is."""
    min_lon, min_lat, max_lon, max_lat = shapely.union_all([g.geom for g in grids]).bounds
    reshaped = {g.code for g in grids if g.code}
    stored = session.execute(
        select(Division.code, Division.name, Division.geometry).where(
            Division.level == "grid",
            Division.geometry.is_not(None),
            Division.max_lon >= min_lon,
            Division.max_lat >= min_lat,
            Division.min_lon <= max_lon,
            Division.min_lat <= max_lat,
        )
    ).all()
    others = [(code, name, areal_from_geojson(geometry)) for code, name, geometry in stored if code not in reshaped]
    if not others:
        return
    tree = shapely.STRtree([geom for _code, _name, geom in others])
    for grid in grids:
        for index in tree.query(grid.geom, predicate="intersects").tolist():
            code, name, geom = others[index]
            if grid.geom.intersection(geom).area > OVERLAP_TOLERANCE * min(grid.geom.area, geom.area):
                message = (
                    f"feature {grid.index} ({grid.name}) overlaps stored grid {code}; "
                    "to redraw that grid, give its code in the file"
                )
                problems.append(grid.problem("geometry", "overlaps_stored", message, code=code, name=name))


def check_against_stored(session: Session, grids: list[GridFeature]) -> dict[str, Division]:
    """Check the file's grids against the stored organisation; their villages, or one error with every problem.

    Every village must exist, each grid lie inside its county, and no grid overlap a stored grid the
    file leaves as it is (only looked for once the villages and counties are right).
    """
    problems: list[Problem] = []
    villages = _check_places(session, grids, problems)
    if not problems:
        _check_against_stored(session, grids, problems)
    if problems:
        raise refused(problems)
    return villages


def parse_grids(session: Session, raw: bytes) -> list[GridFeature]:
    """Parse and check the whole file against the stored organisation; raise one error listing every problem."""
    grids = read_grid_file(raw)
    check_against_stored(session, grids)
    return grids


def _county(village_code: str) -> str:
    return DivisionCode(village_code).at(DivisionLevel.COUNTY).value


def _next_codes(session: Session, grid: GridFeature) -> str:
    village_code = grid.village_code
    top = session.scalar(
        select(func.max(Division.code)).where(Division.parent_code == village_code, Division.level == "grid")
    )
    village = DivisionCode(village_code)
    number = int(top.removeprefix(village_code)) + 1 if top else 1
    if number > village.max_children:
        message = f"feature {grid.index}: village {village_code} has no free grid numbers left"
        raise refused([grid.problem("properties.village_code", "no_free_number", message, village=village_code)])
    return village.child(number).value


def _require_scope(actor: Actor, grids: list[GridFeature]) -> None:
    """Refuse a file reaching villages the actor does not manage, naming every such feature.

    404 when one of those villages is one they cannot see, else 403 (they see them all but manage none
    of them); each feature's problem says which (`village_hidden`, `village_not_managed`). Checked before
    anything stored is compared, so a refusal names nothing outside the actor's scope.
    """
    require_manager(actor)
    problems: list[Problem] = []
    hidden = False
    for grid in grids:
        what = f"village {grid.village_code} (feature {grid.index})"
        try:
            require_writable(actor, grid.village_code, None, what=what)
        except (NotFoundError, ForbiddenError) as exc:
            hidden = hidden or isinstance(exc, NotFoundError)
            kind = "village_hidden" if isinstance(exc, NotFoundError) else "village_not_managed"
            problems.append(grid.problem("properties.village_code", kind, exc.detail, village=grid.village_code))
    if problems:
        shown = problems[:MAX_PROBLEMS]
        detail = "; ".join(p.message for p in shown)
        errors = [p.as_error() for p in shown]
        raise (NotFoundError if hidden else ForbiddenError)(detail, errors=errors, problem_count=len(problems))


def import_features(
    session: Session, grids: list[GridFeature], *, source: str, actor: Actor, clock: Clock
) -> GridImportRead:
    """Insert the new grids of a checked file (`read_grid_file`) and redraw those whose code it gives; all or nothing.

    The actor must manage every feature's village (404 for one they cannot see, 403 for one they see
    but do not manage). Grids never overlap: a new grid may only take ground that the same file frees
    by redrawing the stored grids there. One audit record names what was done.
    """
    _require_scope(actor, grids)
    villages = check_against_stored(session, grids)
    existing = set(session.scalars(select(Division.code).where(Division.code.in_([g.code for g in grids if g.code]))))
    done: dict[int, tuple[bool, str]] = {}  # feature index -> (inserted, code)
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
            done[grid.index] = (False, grid.code)
            continue
        code = grid.code or _next_codes(session, grid)
        session.add(Division(code=code, level="grid", parent_code=grid.village_code, **values))
        session.flush()
        done[grid.index] = (True, code)
    bump_geometry_revision(session)
    result = GridImportRead(source=source, inserted=[], updated=[])
    for grid in grids:
        inserted, code = done[grid.index]
        village = villages[grid.village_code]
        entry = ImportedGrid(code=code, name=grid.name, village_code=village.code, village_name=village.name)
        (result.inserted if inserted else result.updated).append(entry)
    audit.record_by(
        session,
        actor,
        "org.grids.imported",
        entity_type="grid_file",
        entity_id=source[:80],
        after={
            "inserted": len(result.inserted),
            "updated": len(result.updated),
            "inserted_codes": [g.code for g in result.inserted],
            "updated_codes": [g.code for g in result.updated],
        },
        at=clock.now(),
    )
    commit(session)
    return result


def import_grids(session: Session, raw: bytes, *, source: str, actor: Actor, clock: Clock) -> GridImportRead:
    """Check a whole GeoJSON file and import it (`import_features`); the CLI's and the tests' way in."""
    require_manager(actor)
    return import_features(session, read_grid_file(raw), source=source, actor=actor, clock=clock)
