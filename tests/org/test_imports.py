"""Imports: unknown codes, malformed GeoJSON, bad polygons — a clear error and nothing half-imported."""

from __future__ import annotations

import json
from typing import Any

import pytest
from shapely.geometry import mapping
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.core.auth import system_actor
from zhili.core.clock import FrozenClock
from zhili.core.errors import InvalidInputError
from zhili.demo.partition import partition
from zhili.org.geo import LocatorCache, locate_point
from zhili.org.geometry import areal_from_geojson
from zhili.org.grid_import import import_grids
from zhili.org.importing import import_divisions
from zhili.org.models import Division

ACTOR = system_actor("test")


def _village(session: Session) -> Division:
    return session.scalars(
        select(Division)
        .where(Division.code.startswith("330825101"), Division.level == "village")
        .order_by(Division.code)
    ).first()


def _collection(*features: dict[str, Any]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def _feature(village: str, name: str, geometry: dict[str, Any], code: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"village_code": village, "name": name}
    if code:
        props["code"] = code
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _grid_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Division).where(Division.level == "grid")) or 0


def test_unknown_root_code_is_refused(session: Session, clock: FrozenClock) -> None:
    with pytest.raises(InvalidInputError, match="unknown division code '9999'"):
        import_divisions(session, root="9999", actor=ACTOR, clock=clock)


def test_reimporting_divisions_adds_nothing(session: Session, clock: FrozenClock) -> None:
    assert import_divisions(session, root="3308", actor=ACTOR, clock=clock) == 0


def _first_grid(session: Session) -> Division:
    village = _village(session)
    return session.scalars(select(Division).where(Division.parent_code == village.code).order_by(Division.code)).first()


def test_a_grid_redrawn_and_a_new_one_on_the_freed_ground(session: Session, clock: FrozenClock) -> None:
    grid = _first_grid(session)
    kept, freed = partition(areal_from_geojson(grid.geometry), 2, seed=1)
    raw = _collection(
        _feature(grid.parent_code, "新划网格", mapping(freed)),
        _feature(grid.parent_code, grid.name, mapping(kept), code=grid.code),
    )
    before = _grid_count(session)
    done = import_grids(session, raw, source="survey.geojson", actor=ACTOR, clock=clock)
    assert (len(done.inserted), len(done.updated)) == (1, 1)
    assert done.updated[0].code == grid.code
    assert _grid_count(session) == before + 1
    new = session.scalars(select(Division).where(Division.name == "新划网格")).one()
    assert not new.is_synthetic
    assert new.source == "import:survey.geojson"
    assert new.code.startswith(grid.parent_code)
    assert len(new.code) == 15
    point = freed.representative_point()
    chain = locate_point(session, ACTOR, LocatorCache(), lon=point.x, lat=point.y).chain
    assert chain[-1].code == new.code


def test_codes_given_in_the_file_are_not_handed_out_again(session: Session, clock: FrozenClock) -> None:
    grid = _first_grid(session)
    siblings = session.scalars(select(Division.code).where(Division.parent_code == grid.parent_code)).all()
    next_free = f"{grid.parent_code}{int(max(siblings)[-3:]) + 1:03d}"
    first, second, third = partition(areal_from_geojson(grid.geometry), 3, seed=2)
    raw = _collection(
        _feature(grid.parent_code, "无码", mapping(first)),
        _feature(grid.parent_code, "有码", mapping(second), code=next_free),
        _feature(grid.parent_code, grid.name, mapping(third), code=grid.code),
    )
    done = import_grids(session, raw, source="c.geojson", actor=ACTOR, clock=clock)
    assert [g.name for g in done.inserted] == ["无码", "有码"]  # in file order
    assert [g.code for g in done.updated] == [grid.code]
    assert session.get(Division, next_free).name == "有码"  # type: ignore[union-attr]


def test_a_new_grid_over_a_stored_grid_is_refused(session: Session, clock: FrozenClock) -> None:
    grid = _first_grid(session)
    raw = _collection(_feature(grid.parent_code, "叠加", mapping(areal_from_geojson(grid.geometry))))
    with pytest.raises(InvalidInputError, match=f"overlaps stored grid {grid.code}"):
        import_grids(session, raw, source="o.geojson", actor=ACTOR, clock=clock)


def test_a_grid_with_a_known_code_gets_its_polygon_replaced(session: Session, clock: FrozenClock) -> None:
    grid = session.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)).first()
    geometry = mapping(areal_from_geojson(grid.geometry))
    raw = _collection(_feature(grid.code[:12], "更名网格", geometry, code=grid.code))
    done = import_grids(session, raw, source="fix.geojson", actor=ACTOR, clock=clock)
    assert (done.inserted, [g.code for g in done.updated]) == ([], [grid.code])
    session.expire_all()
    assert session.get(Division, grid.code).name == "更名网格"  # type: ignore[union-attr]


BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[119.2, 29.0], [119.21, 29.01], [119.21, 29.0], [119.2, 29.01], [119.2, 29.0]]],
}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"type": "Feature"}', "expected a GeoJSON FeatureCollection"),
        (b'{"type": "FeatureCollection", "features": []}', "has no features"),
        (_collection({"type": "Feature", "geometry": None}), "no properties object"),
        (_collection(_feature("12345", "x", BOWTIE)), "12-digit village code"),
        (_collection(_feature("330825101003", "自相交", BOWTIE)), "invalid polygon: Self-intersection"),
        (
            _collection(_feature("330825101003", "点", {"type": "Point", "coordinates": [119.2, 29.0]})),
            "must be a non-empty Polygon",
        ),
        (
            _collection(_feature("330825101003", "坏", {"type": "Polygon", "coordinates": "nonsense"})),
            "unreadable geometry",
        ),
        (_collection(_feature("330825101003", "坏码", BOWTIE, code="999")), "code must be 15 digits"),
        (
            _collection(
                _feature(
                    "330825101003",
                    "纬经倒置",
                    {
                        "type": "Polygon",
                        "coordinates": [[[29.0, 119.2], [29.01, 119.2], [29.01, 119.21], [29.0, 119.2]]],
                    },
                )
            ),
            "coordinates must be WGS-84 longitude, latitude",
        ),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    ],
)
def test_malformed_files_are_refused_whole(session: Session, clock: FrozenClock, raw: bytes, message: str) -> None:
    before = _grid_count(session)
    with pytest.raises(InvalidInputError, match=message):
        import_grids(session, raw, source="bad.geojson", actor=ACTOR, clock=clock)
    assert _grid_count(session) == before


def test_one_bad_feature_stops_the_whole_file(session: Session, clock: FrozenClock) -> None:
    village = _village(session)
    grid = _first_grid(session)
    good = _feature(village.code, "好网格", mapping(areal_from_geojson(grid.geometry)), code=grid.code)
    far = {"type": "Polygon", "coordinates": [[[2.0, 48.0], [2.1, 48.0], [2.1, 48.1], [2.0, 48.0]]]}
    unknown = _feature("330825101999", "无此村", far)
    outside = _feature(village.code, "在巴黎", far)
    before = _grid_count(session)
    for bad in (unknown, outside):
        with pytest.raises(InvalidInputError) as caught:
            import_grids(session, _collection(good, bad), source="mixed.geojson", actor=ACTOR, clock=clock)
        assert "nothing was imported" in caught.value.detail
    assert _grid_count(session) == before


def test_overlapping_grids_are_refused(session: Session, clock: FrozenClock) -> None:
    village = _village(session)
    shape = areal_from_geojson(village.geometry)
    overlap = shape.buffer(-0.0005)
    raw = _collection(_feature(village.code, "甲", mapping(shape)), _feature(village.code, "乙", mapping(overlap)))
    with pytest.raises(InvalidInputError, match="features 1 and 2 overlap"):
        import_grids(session, raw, source="o.geojson", actor=ACTOR, clock=clock)


def test_the_servers_shared_locator_sees_a_redrawn_grid(api: Any, session: Session, clock: FrozenClock) -> None:
    grid = _first_grid(session)
    kept, freed = partition(areal_from_geojson(grid.geometry), 2, seed=3)
    point = freed.representative_point()
    api.login("admin")
    before = api.get("/api/v1/org/locate", params={"lon": point.x, "lat": point.y}).json()
    assert before["chain"][-1]["code"] == grid.code
    raw = _collection(
        _feature(grid.parent_code, "新网格", mapping(freed)),
        _feature(grid.parent_code, grid.name, mapping(kept), code=grid.code),
    )
    import_grids(session, raw, source="redraw.geojson", actor=ACTOR, clock=clock)
    after = api.get("/api/v1/org/locate", params={"lon": point.x, "lat": point.y}).json()
    assert after["chain"][-1]["name"] == "新网格"
