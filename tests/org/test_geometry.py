"""Tests for the synthetic-division geometry: partitions tile, balance and repeat."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box, shape

from zhili.demo.partition import partition
from zhili.org.geometry import simplify_for_display

DATA = Path(__file__).resolve().parents[2] / "src" / "zhili" / "org" / "data"
COUNTIES = DATA / "zhejiang_counties.geojson"
L_SHAPE = Polygon([(0, 0), (4, 0), (4, 1), (1, 1), (1, 4), (0, 4)])
ISLANDS = MultiPolygon([box(0, 0, 1, 1), box(3, 2, 3.5, 2.5)])
COURTYARD = Polygon(
    [(0, 0), (10, 0), (10, 10), (0, 10)],
    [[(2, 2), (8, 2), (8, 8), (2, 8)]],
)
# A comb: deep concave notches that a straight cut would cross several times.
# fmt: off
COMB = Polygon([
    (0, 0), (10, 0), (10, 5), (9, 5), (9, 1), (7, 1), (7, 5), (6, 5),
    (6, 1), (4, 1), (4, 5), (3, 5), (3, 1), (1, 1), (1, 5), (0, 5),
])
# fmt: on


@pytest.fixture(scope="module")
def county() -> Polygon | MultiPolygon:
    """Longyou county (龙游县), or a county-sized stand-in when the data is absent."""
    if not COUNTIES.exists():
        return Polygon(
            [(119.03, 28.74), (119.34, 28.8), (119.3, 29.3), (119.18, 29.05)],
        )
    features = json.loads(COUNTIES.read_text(encoding="utf-8"))["features"]
    found = next(f for f in features if f["properties"]["code"] == "330825")
    geom = shape(found["geometry"])
    assert isinstance(geom, Polygon | MultiPolygon)
    return geom


def assert_tiles(
    polygon: Polygon | MultiPolygon,
    pieces: list[Polygon | MultiPolygon],
    n: int,
) -> None:
    """Check the pieces are n valid areas tiling ``polygon`` with no overlap or gap."""
    assert len(pieces) == n
    for piece in pieces:
        assert isinstance(piece, Polygon | MultiPolygon)
        assert piece.is_valid
        assert not piece.is_empty
        assert piece.area > 0
    total = polygon.area
    union = shapely.union_all(pieces)
    assert abs(union.area - total) <= 1e-9 * total
    # Summed areas equal to the union's means no two pieces share any area.
    assert abs(sum(p.area for p in pieces) - total) <= 1e-9 * total
    assert shapely.difference(union, polygon).area <= 1e-9 * total
    assert shapely.difference(polygon, union).area <= 1e-9 * total
    assert_interiors_disjoint(pieces)


def assert_interiors_disjoint(pieces: list[Polygon | MultiPolygon]) -> None:
    """No two pieces' interiors meet, exactly (DE-9IM interior/interior is empty)."""
    tree = shapely.STRtree(pieces)
    left, right = tree.query(pieces)
    keep = left < right
    arr = np.array(pieces, dtype=object)
    meet = shapely.relate_pattern(arr[left[keep]], arr[right[keep]], "T********")
    assert not meet.any()


def assert_covers_points(
    polygon: Polygon | MultiPolygon,
    pieces: list[Polygon | MultiPolygon],
) -> None:
    """Every sampled point of the polygon lies in (or on) some piece."""
    xmin, ymin, xmax, ymax = polygon.bounds
    rng = np.random.default_rng(0)
    xs = rng.uniform(xmin, xmax, 4000)
    ys = rng.uniform(ymin, ymax, 4000)
    inside = shapely.intersects_xy(polygon, xs, ys)
    hit = np.zeros(len(xs), dtype=bool)
    for piece in pieces:
        hit |= shapely.intersects_xy(piece, xs, ys)
    assert inside.any()
    assert (hit == inside).all()


@pytest.mark.parametrize("n", [2, 3, 4, 5, 7, 10, 16, 25, 40])
@pytest.mark.parametrize(
    "polygon",
    [L_SHAPE, ISLANDS, COURTYARD, COMB],
    ids=["L", "islands", "hole", "comb"],
)
def test_partition_tiles_exactly_n_pieces(
    polygon: Polygon | MultiPolygon,
    n: int,
) -> None:
    pieces = partition(polygon, n, seed=7)
    assert_tiles(polygon, pieces, n)
    assert_covers_points(polygon, pieces)


def test_partition_of_a_county_tiles_and_balances(
    county: Polygon | MultiPolygon,
) -> None:
    pieces = partition(county, 300, seed=1)
    assert_tiles(county, pieces, 300)
    assert_covers_points(county, pieces)
    areas = np.array([p.area for p in pieces])
    assert areas.max() < 2.0 * areas.mean()
    assert areas.min() > 0.25 * areas.mean()
    assert shapely.coverage_is_valid(np.array(pieces, dtype=object))


def test_nested_partition_of_a_county_tiles_each_level(
    county: Polygon | MultiPolygon,
) -> None:
    towns = partition(county, 6, seed=3)
    assert_tiles(county, towns, 6)
    for index, town in enumerate(towns):
        villages = partition(town, 5, seed=index)
        assert_tiles(town, villages, 5)
        for village in villages:
            assert_tiles(village, partition(village, 3, seed=index), 3)


def test_partition_is_deterministic_for_a_seed(
    county: Polygon | MultiPolygon,
) -> None:
    first = [p.wkb for p in partition(county, 30, seed=42)]
    again = [p.wkb for p in partition(county, 30, seed=42)]
    other = [p.wkb for p in partition(county, 30, seed=43)]
    assert first == again
    assert first != other


def test_partition_orders_pieces_north_west_first() -> None:
    pieces = partition(box(0, 0, 10, 10), 12, seed=5)
    anchors = [(-p.representative_point().y, p.representative_point().x) for p in pieces]
    assert anchors == sorted(anchors)


def test_partition_into_one_returns_the_polygon() -> None:
    assert partition(L_SHAPE, 1, seed=0) == [L_SHAPE]
    assert partition(L_SHAPE, 1, seed=0)[0] is L_SHAPE


def test_partition_of_tiny_polygon_into_many_pieces() -> None:
    tiny = box(118.5, 29.1, 118.5 + 1e-9, 29.1 + 1e-9)
    assert_tiles(tiny, partition(tiny, 50, seed=0), 50)


def test_partition_of_far_flung_islands() -> None:
    far = MultiPolygon([box(0, 0, 0.01, 0.01), box(100, 100, 100.01, 100.01)])
    pieces = partition(far, 9, seed=2)
    assert_tiles(far, pieces, 9)


def test_partition_repairs_an_invalid_polygon() -> None:
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    pieces = partition(bowtie, 4, seed=0)
    repaired = shapely.make_valid(bowtie)
    assert isinstance(repaired, MultiPolygon)
    assert_tiles(repaired, pieces, 4)


@pytest.mark.parametrize("n", [0, -3])
def test_partition_refuses_fewer_than_one_piece(n: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        partition(L_SHAPE, n, seed=0)


def test_partition_refuses_an_empty_polygon() -> None:
    with pytest.raises(ValueError, match="zero-area"):
        partition(Polygon(), 3, seed=0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(min_value=1, max_value=60), seed=st.integers(0, 2**32 - 1))
def test_partition_tiles_a_concave_polygon_for_any_n_and_seed(
    n: int,
    seed: int,
) -> None:
    pieces = partition(COMB, n, seed=seed)
    assert_tiles(COMB, pieces, n)
    assert [p.wkb for p in partition(COMB, n, seed=seed)] == [p.wkb for p in pieces]


def test_simplify_for_display_keeps_a_valid_close_shape(
    county: Polygon | MultiPolygon,
) -> None:
    simple = simplify_for_display(county, 0.005)
    assert simple.is_valid
    assert isinstance(simple, Polygon | MultiPolygon)
    assert shapely.get_num_coordinates(simple) < shapely.get_num_coordinates(county)
    assert abs(simple.area - county.area) < 0.05 * county.area


def test_simplify_for_display_never_breaks_topology() -> None:
    # Without topology preservation this zigzag would collapse onto itself.
    zigzag = Polygon([(0, 0), (10, 0), (10, 1), (5, 0.1), (0, 1)])
    simple = simplify_for_display(zigzag, 2.0)
    assert simple.is_valid
    assert not simple.is_empty
