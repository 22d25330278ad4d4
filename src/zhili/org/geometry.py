"""Pure geometry of divisions: stored GeoJSON read as polygons, simplified for a map."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final, overload

import shapely
from shapely.geometry import MultiPolygon, Polygon

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

EARTH_RADIUS_M: Final = 6_371_008.8  # the mean radius


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance in metres between two (lon, lat) points (haversine)."""
    (lon1, lat1), (lon2, lat2) = a, b
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@overload
def simplify_for_display(
    geom: Polygon | MultiPolygon,
    tolerance: float,
) -> Polygon | MultiPolygon: ...
@overload
def simplify_for_display(geom: BaseGeometry, tolerance: float) -> BaseGeometry: ...
def simplify_for_display(geom: BaseGeometry, tolerance: float) -> BaseGeometry:
    """Simplify ``geom`` for a map, preserving topology so no ring self-intersects.

    A one-part MultiPolygon comes back as a Polygon. Neighbours simplified one by one
    can show hairline gaps along their shared edge; ``shapely.coverage_simplify`` on
    the whole set avoids that when it matters.
    """
    return shapely.simplify(geom, tolerance, preserve_topology=True)


def areal_from_geojson(text: str | None) -> Polygon | MultiPolygon:
    """A stored GeoJSON geometry as a Polygon or MultiPolygon; anything else is a ValueError."""
    if text is None:
        msg = "no geometry stored"
        raise ValueError(msg)
    geom = shapely.from_geojson(text)
    if not isinstance(geom, Polygon | MultiPolygon):
        msg = f"expected a Polygon or MultiPolygon, got {type(geom).__name__}"
        raise TypeError(msg)
    return geom


def geojson_for_display(text: str | None, tolerance: float) -> str:
    """A stored GeoJSON geometry simplified for a map, as GeoJSON text."""
    simplified = simplify_for_display(areal_from_geojson(text), tolerance)
    return str(shapely.to_geojson(simplified))
