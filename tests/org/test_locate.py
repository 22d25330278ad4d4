"""Tests for the point-in-polygon Locator, against brute force and nested levels."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from zhili.demo.partition import partition
from zhili.org.locate import Locator

if TYPE_CHECKING:
    from collections.abc import Sequence

    from shapely.geometry.base import BaseGeometry

Cells = list[tuple[str, Polygon | MultiPolygon]]

CELL_COUNT = 150
SAMPLES = 2000

# An irregular, concave county-sized area with a lake, so that buckets of every kind
# (inside one cell, on edges, outside everything) occur.
AREA = Polygon(
    [(118.0, 28.0), (118.9, 28.1), (119.0, 28.9), (118.5, 28.6), (118.1, 29.0)],
    [[(118.4, 28.3), (118.6, 28.3), (118.6, 28.4), (118.4, 28.4)]],
)


def cells_of(area: Polygon | MultiPolygon, n: int, prefix: str) -> Cells:
    """Partition ``area`` into ``n`` cells coded ``prefix`` + a 3-digit number."""
    pieces = partition(area, n, seed=11)
    return [(f"{prefix}{i:03d}", piece) for i, piece in enumerate(pieces)]


def brute_force(
    cells: Sequence[tuple[str, BaseGeometry]],
    x: float,
    y: float,
) -> str | None:
    """Return the first cell, in the given order, containing or touching the point."""
    point = shapely.Point(x, y)
    return next((code for code, geom in cells if geom.intersects(point)), None)


@pytest.fixture(scope="module")
def cells() -> Cells:
    return cells_of(AREA, CELL_COUNT, "G")


@pytest.fixture(scope="module")
def locator(cells: Cells) -> Locator:
    return Locator(cells)


def test_len_is_the_number_of_cells(locator: Locator) -> None:
    assert len(locator) == CELL_COUNT


def test_each_cells_representative_point_locates_to_it(
    cells: Cells,
    locator: Locator,
) -> None:
    points = [geom.representative_point() for _, geom in cells]
    codes = [code for code, _ in cells]
    assert [locator.locate(p.x, p.y) for p in points] == codes
    lons, lats = np.array([p.x for p in points]), np.array([p.y for p in points])
    assert locator.locate_many(lons, lats) == codes


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (117.0, 28.5),  # west of everything
        (118.5, 28.35),  # in the lake
        (118.5, 28.9),  # in the notch, inside the bounding box
        (119.0, 28.0),  # bounding-box corner, outside the area
        (math.nan, 28.5),
        (118.5, math.inf),
    ],
)
def test_points_outside_every_cell_locate_to_none(
    locator: Locator,
    lon: float,
    lat: float,
) -> None:
    assert locator.locate(lon, lat) is None
    assert locator.locate_many(np.array([lon]), np.array([lat])) == [None]


def test_locate_and_locate_many_agree_with_brute_force(
    cells: Cells,
    locator: Locator,
) -> None:
    rng = np.random.default_rng(3)
    xmin, ymin, xmax, ymax = AREA.bounds
    lons = rng.uniform(xmin - 0.05, xmax + 0.05, SAMPLES)
    lats = rng.uniform(ymin - 0.05, ymax + 0.05, SAMPLES)
    one_by_one = [locator.locate(x, y) for x, y in zip(lons, lats, strict=True)]
    assert one_by_one == locator.locate_many(lons, lats)
    pairs = zip(lons, lats, strict=True)
    assert one_by_one == [brute_force(cells, x, y) for x, y in pairs]
    assert 0 < one_by_one.count(None) < SAMPLES


def test_points_on_shared_edges_go_to_the_first_cell(
    cells: Cells,
    locator: Locator,
) -> None:
    # Cell vertices lie on the edges shared by two or three cells.
    xy = shapely.get_coordinates([geom for _, geom in cells[:40]])
    lons, lats = xy[:, 0], xy[:, 1]
    expected = [brute_force(cells, x, y) for x, y in zip(lons, lats, strict=True)]
    assert [locator.locate(x, y) for x, y in zip(lons, lats, strict=True)] == expected
    assert locator.locate_many(lons, lats) == expected
    assert None not in expected


def test_nested_levels_locate_consistently() -> None:
    parents = cells_of(AREA, 5, "P")
    children = [child for code, parent in parents for child in cells_of(parent, 4, f"{code}-")]
    up, down = Locator(parents), Locator(children)
    rng = np.random.default_rng(9)
    xmin, ymin, xmax, ymax = AREA.bounds
    lons, lats = rng.uniform(xmin, xmax, SAMPLES), rng.uniform(ymin, ymax, SAMPLES)
    geoms = dict(parents + children)
    found = zip(up.locate_many(lons, lats), down.locate_many(lons, lats), strict=True)
    for parent, child in found:
        assert (parent is None) == (child is None)
        if parent is not None and child is not None:
            assert child.startswith(f"{parent}-")
            stray = geoms[child].difference(geoms[parent]).area
            assert stray <= 1e-12 * geoms[child].area


def test_an_empty_locator_finds_nothing() -> None:
    empty = Locator([])
    assert len(empty) == 0
    assert empty.locate(118.5, 28.5) is None
    assert empty.locate_many(np.array([118.5]), np.array([28.5])) == [None]


def test_locate_many_of_no_points_is_empty(locator: Locator) -> None:
    assert locator.locate_many(np.array([]), np.array([])) == []


def test_locate_many_refuses_mismatched_arrays(locator: Locator) -> None:
    with pytest.raises(ValueError, match="same length"):
        locator.locate_many(np.array([1.0, 2.0]), np.array([1.0]))


def test_a_single_cell_locates_its_boundary_and_interior() -> None:
    one = Locator([("A", box(0, 0, 1, 1))])
    assert one.locate(0.5, 0.5) == "A"
    assert one.locate(1.0, 1.0) == "A"
    assert one.locate(0.0, 0.3) == "A"
    assert one.locate(1.0000001, 0.5) is None
