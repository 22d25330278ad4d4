"""Synthetic polygons for the demo: each real county split into its townships, villages and grids."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.demo.names import short_village_name
from zhili.demo.partition import partition
from zhili.org.division_code import DivisionCode
from zhili.org.geometry import areal_from_geojson
from zhili.org.importing import geometry_columns, store_generated_places
from zhili.org.models import Division

SYNTHETIC_SOURCE = "synthetic"
GRIDS_PER_CITY = 4800
# The seed report: 561 grid heads in 龙游县, one per grid.
FIXED_GRID_COUNTS = {"330825": 561}

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class PlaceRow:
    """A division as the generator sees it."""

    code: str
    name: str
    parent_code: str


def grid_counts(villages_by_county: dict[str, list[str]], *, total: int, seed: int) -> dict[str, int]:
    """How many grids each village gets: fixed county totals first, the rest spread evenly."""
    fixed_total = sum(FIXED_GRID_COUNTS.get(county, 0) for county in villages_by_county)
    free_villages = sum(len(v) for c, v in villages_by_county.items() if c not in FIXED_GRID_COUNTS)
    counts: dict[str, int] = {}
    rng = random.Random(seed)  # noqa: S311 - demo data
    for county, villages in sorted(villages_by_county.items()):
        county_total = FIXED_GRID_COUNTS.get(county) or round(
            (total - fixed_total) * len(villages) / max(free_villages, 1)
        )
        base, extra = divmod(county_total, len(villages))
        lucky = set(rng.sample(villages, extra))
        counts.update({village: base + (village in lucky) for village in villages})
    return counts


def _children(session: Session, root: str) -> dict[str, list[PlaceRow]]:
    stmt = select(Division.code, Division.name, Division.parent_code).where(
        DivisionCode(root).subtree(Division.code), Division.level.in_(["township", "village"])
    )
    by_parent: dict[str, list[PlaceRow]] = defaultdict(list)
    for code, name, parent in session.execute(stmt):
        if parent is not None:
            by_parent[parent].append(PlaceRow(code, name, parent))
    for rows in by_parent.values():
        rows.sort(key=lambda row: row.code)
    return by_parent


def _split(geom: Polygon | MultiPolygon, children: list[PlaceRow], seed: int) -> dict[str, Polygon | MultiPolygon]:
    pieces = partition(geom, len(children), seed=seed)
    return {child.code: piece for child, piece in zip(children, pieces, strict=True)}


def generate_places(session: Session, *, city: str, seed: int, progress: Progress) -> int:
    """Give every township and village of `city` a polygon and create its grids; returns grids made."""
    counties = session.execute(
        select(Division.code, Division.geometry).where(Division.parent_code == city, Division.level == "county")
    ).all()
    by_parent = _children(session, city)
    villages_by_county = {code: [v.code for t in by_parent[code] for v in by_parent[t.code]] for code, _ in counties}
    counts = grid_counts(villages_by_county, total=GRIDS_PER_CITY, seed=seed)
    updates: list[dict[str, object]] = []
    grids: list[dict[str, object]] = []
    for county_code, county_geojson in sorted(counties):
        if county_geojson is None:
            continue
        townships = _split(areal_from_geojson(county_geojson), by_parent[county_code], seed + int(county_code))
        for township in by_parent[county_code]:
            villages = _split(townships[township.code], by_parent[township.code], seed + int(township.code))
            updates.append({"b_code": township.code, **geometry_columns(townships[township.code])})
            for village in by_parent[township.code]:
                updates.append({"b_code": village.code, **geometry_columns(villages[village.code])})
                grids.extend(_grid_rows(village, villages[village.code], counts[village.code], seed))
        progress(county_code, len(by_parent[county_code]))
    store_generated_places(session, updates, grids, source=SYNTHETIC_SOURCE)
    return len(grids)


def _grid_rows(village: PlaceRow, geom: Polygon | MultiPolygon, count: int, seed: int) -> list[dict[str, object]]:
    pieces = partition(geom, count, seed=seed + int(village.code) % 1_000_003)
    label = short_village_name(village.name)
    return [
        {
            "code": f"{village.code}{n:03d}",
            "name": f"{label}第{n}网格",
            "level": "grid",
            "parent_code": village.code,
            "is_synthetic": True,
            "source": SYNTHETIC_SOURCE,
            **geometry_columns(piece),
        }
        for n, piece in enumerate(pieces, start=1)
    ]
