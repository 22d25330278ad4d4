"""Maps and points: GeoJSON of divisions for the map, and a point resolved to its divisions."""

from __future__ import annotations

import json
import threading
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.core.auth import Actor
from zhili.core.errors import InvalidInputError, NotFoundError
from zhili.core.prepared import Prepared
from zhili.org import visibility
from zhili.org.geometry import areal_from_geojson, geojson_for_display
from zhili.org.locate import Locator
from zhili.org.models import Division, GeometryRevision
from zhili.org.queries import ancestors
from zhili.org.schemas import LocateRead

MAP_LEVELS = ("city", "county", "township", "village", "grid")
MAX_FEATURES = 5000
# Simplification per level (degrees): fine enough for the map, much lighter to send.
DISPLAY_TOLERANCE = {"city": 0.002, "county": 0.001, "township": 0.0005, "village": 0.0002, "grid": 0.0001}
Bbox = tuple[float, float, float, float]


def parse_bbox(raw: str | None) -> Bbox | None:
    """`minLon,minLat,maxLon,maxLat` → a tuple, or a 422 naming what is wrong."""
    if raw is None:
        return None
    try:
        parts = tuple(float(part) for part in raw.split(","))
    except ValueError as exc:
        raise InvalidInputError("bbox must be four numbers: minLon,minLat,maxLon,maxLat") from exc
    if len(parts) != 4 or not (parts[0] <= parts[2] and parts[1] <= parts[3]):  # noqa: PLR2004
        raise InvalidInputError("bbox must be minLon,minLat,maxLon,maxLat with min ≤ max")
    return parts[0], parts[1], parts[2], parts[3]


def division_features(session: Session, actor: Actor, *, level: str, bbox: Bbox | None) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the divisions of one level in scope (and in the bbox)."""
    if level not in MAP_LEVELS:
        raise InvalidInputError(f"level must be one of {', '.join(MAP_LEVELS)}")
    stmt = select(Division.code, Division.name, Division.level, Division.is_synthetic, Division.geometry).where(
        Division.level == level, Division.geometry.is_not(None), visibility.divisions(actor)
    )
    if bbox is not None:
        stmt = stmt.where(
            Division.max_lon >= bbox[0],
            Division.max_lat >= bbox[1],
            Division.min_lon <= bbox[2],
            Division.min_lat <= bbox[3],
        )
    rows = session.execute(stmt.order_by(Division.code).limit(MAX_FEATURES + 1)).all()
    if len(rows) > MAX_FEATURES:
        raise InvalidInputError(f"more than {MAX_FEATURES} {level} polygons in view; zoom in or pass a smaller bbox")
    tolerance = DISPLAY_TOLERANCE[level]
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": name, "level": lvl, "is_synthetic": synthetic},
            "geometry": json.loads(geojson_for_display(geometry, tolerance)),
        }
        for code, name, lvl, synthetic, geometry in rows
    ]
    return {"type": "FeatureCollection", "features": features}


def request_locators(request: Request) -> LocatorCache:
    """The app's shared point locators (set by `create_app`)."""
    found: LocatorCache = request.app.state.locators
    return found


_REVISION = Prepared(select(GeometryRevision.revision))


class LocatorCache:
    """Point locators built from the database and rebuilt when the geometry revision moves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revision: int | None = None
        self._fine: Locator | None = None
        self._county: Locator | None = None

    def locators(self, session: Session) -> tuple[Locator, Locator]:
        """The grid locator and the county locator for the current geometry."""
        revision = _REVISION.run(session).scalar() or 0
        with self._lock:
            # Only move forward: a request reading an older snapshot must not bring back old polygons.
            if self._fine is None or self._county is None or self._revision is None or revision > self._revision:
                self._fine = _build(session, "grid")
                self._county = _build(session, "county")
                self._revision = revision
            return self._fine, self._county


def _build(session: Session, level: str) -> Locator:
    rows = session.execute(
        select(Division.code, Division.geometry)
        .where(Division.level == level, Division.geometry.is_not(None))
        .order_by(Division.code)
    )
    return Locator([(code, areal_from_geojson(geometry)) for code, geometry in rows])


def locate_point(session: Session, actor: Actor, cache: LocatorCache, *, lon: float, lat: float) -> LocateRead:
    """The grid → village → township → county chain of a point (county only where no grids exist)."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):  # noqa: PLR2004
        raise InvalidInputError("lon must lie in [-180, 180] and lat in [-90, 90]")
    fine, county = cache.locators(session)
    code = fine.locate(lon, lat) or county.locate(lon, lat)
    if code is None:
        raise NotFoundError(f"the point ({lon}, {lat}) lies outside every county we know", outside="counties")
    chain = ancestors(session, code)
    # The chain is public geography except for the finest part, which must be in the actor's scope. That
    # the point lies in some county is public too (`outside` says which refusal it is): a report may go there.
    if not visibility.sees_place(actor, code):
        raise NotFoundError(f"the point ({lon}, {lat}) lies outside your area", outside="area")
    return LocateRead(lon=lon, lat=lat, chain=chain)
