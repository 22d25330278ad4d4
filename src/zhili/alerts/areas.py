"""Where an alert applies, as divisions: geocodes read as division codes, shapes intersected with polygons (pure).

China's national system names areas only by `<geocode>` with the 12-digit CPEAS code (the division
code padded with zeros: `330825000000` is 龙游县, `330825101000` 湖镇镇). Other services send polygons
(latitude first) and circles (radius in km): those are intersected with the county polygons (real
boundaries) and, where a shape covers only part of a county, with its townships' (synthetic in the
demo). Nothing here reads the database: the service hands in the shapes (`DivisionShape`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import shapely
from shapely import affinity
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from zhili.alerts.message import Area, Circle, NamedValue
from zhili.org.division_code import DivisionCode

# `valueName`s whose values are administrative division codes (CPEAS, GB/T 2260); SAME, FIPS and
# other schemes are not ours even when their values happen to have six digits.
DIVISION_SCHEMES = ("cpeas", "行政区划", "区划代码", "gb/t 2260", "gb2260", "administrative", "admin code")
COVER_SHARE = 0.9
"""A shape covering this share of a county resolves to the county, not to its townships one by one."""
KM_PER_DEGREE = 111.32


class How(StrEnum):
    """How an area reached a division."""

    GEOCODE = "geocode"
    POLYGON = "polygon"
    CIRCLE = "circle"


@dataclass(frozen=True, slots=True)
class DivisionShape:
    """A division's polygon (lon/lat), as the service loads it."""

    code: str
    geometry: BaseGeometry


@dataclass(frozen=True, slots=True, order=True)
class Resolved:
    """A division an area resolved to, and how."""

    code: str
    how: How


def is_division_scheme(name: str) -> bool:
    """True when a geocode's `valueName` names administrative division codes."""
    lowered = name.strip().lower()
    return any(scheme in lowered for scheme in DIVISION_SCHEMES)


def division_of_geocode(value: str) -> DivisionCode | None:
    """The division a CPEAS / administrative code names: trailing zero groups dropped level by level.

    `330825000000` → 330825 (county), `330825101000` → 330825101 (township), `330800000000` → 3308
    (city), `330825101201` → the village itself; 6- and 9-digit codes the same way.
    """
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) not in {6, 9, 12}:
        return None
    for length, kept in ((12, 9), (9, 6), (6, 4), (4, 2)):
        if len(text) == length and set(text[kept:]) == {"0"}:
            text = text[:kept]
    return DivisionCode.parse(text)


def geocode_codes(geocodes: Iterable[NamedValue]) -> list[DivisionCode]:
    """The division codes named by an area's geocodes of a division scheme, in order, without repeats."""
    found = (division_of_geocode(g.value) for g in geocodes if is_division_scheme(g.name))
    return list(dict.fromkeys(code for code in found if code is not None))


def circle_shape(circle: Circle) -> BaseGeometry:
    """A circle on the ground as a lon/lat shape (an ellipse in degrees); radius 0 is its centre point."""
    centre = Point(circle.lon, circle.lat)
    if circle.radius_km <= 0:
        return centre
    disc = centre.buffer(circle.radius_km / KM_PER_DEGREE, quad_segs=16)
    stretch = 1 / max(math.cos(math.radians(circle.lat)), 0.01)
    return affinity.scale(disc, xfact=stretch, yfact=1.0, origin=centre)


def polygon_shape(ring: Sequence[tuple[float, float]]) -> BaseGeometry:
    """A CAP polygon (lat, lon pairs) as a valid lon/lat shape."""
    return shapely.make_valid(Polygon([(lon, lat) for lat, lon in ring]))


def shape_divisions(
    shape: BaseGeometry, counties: Sequence[DivisionShape], townships: Sequence[DivisionShape]
) -> list[str]:
    """The divisions a shape reaches: a county it (nearly) covers whole, else the townships of it that it touches."""
    found: list[str] = []
    for county in counties:
        if not shape.intersects(county.geometry):
            continue
        inside = [t for t in townships if t.code.startswith(county.code)]
        covered = shape.intersection(county.geometry).area / county.geometry.area if county.geometry.area else 0.0
        touched = [t.code for t in inside if shape.intersects(t.geometry)]
        found.extend([county.code] if covered >= COVER_SHARE or not touched else touched)
    return found


def resolve_area(area: Area, counties: Sequence[DivisionShape], townships: Sequence[DivisionShape]) -> list[Resolved]:
    """Every division one area names or reaches, each with how (geocodes first)."""
    found = [Resolved(code.value, How.GEOCODE) for code in geocode_codes(area.geocodes)]
    for ring in area.polygons:
        found += [Resolved(c, How.POLYGON) for c in shape_divisions(polygon_shape(ring), counties, townships)]
    for circle in area.circles:
        found += [Resolved(c, How.CIRCLE) for c in shape_divisions(circle_shape(circle), counties, townships)]
    return found


def bounds_of(areas: Iterable[Area]) -> tuple[float, float, float, float] | None:
    """The lon/lat box around every polygon and circle of the areas (None when they have none)."""
    shapes = [polygon_shape(r) for a in areas for r in a.polygons] + [circle_shape(c) for a in areas for c in a.circles]
    if not shapes:
        return None
    min_lon, min_lat, max_lon, max_lat = shapely.union_all(shapes).bounds
    return min_lon, min_lat, max_lon, max_lat


def area_geojson(area: Area) -> dict[str, object] | None:
    """An area's polygons and circles as one GeoJSON geometry for the map (None when it has no shape)."""
    shapes = [polygon_shape(r) for r in area.polygons] + [circle_shape(c) for c in area.circles]
    if not shapes:
        return None
    geometry: dict[str, object] = shapely.geometry.mapping(shapely.union_all(shapes))
    return geometry
