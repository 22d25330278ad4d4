"""Balanced partitions of a polygon, for the demo's synthetic townships, villages and grids (`places.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

if TYPE_CHECKING:
    from numpy.typing import NDArray
    from shapely.geometry.base import BaseGeometry

Areal = Polygon | MultiPolygon

# Starting from a jittered grid, two relaxation steps bring the spread of piece areas
# down to about +-10 %; a third costs 20 % more time (the demo city runs ~1,800
# partitions) for little visible gain.
_LLOYD_ITERATIONS: Final = 2
# Jitter of the starting grid, as a fraction of its step: enough to vary with the seed
# and to break the regular pattern, small enough to keep neighbouring seeds apart.
_JITTER: Final = 0.3
# Scattered islands make the bounding box huge next to the area: past this many grid
# nodes per seed, the grid is skipped rather than laid over the sea.
_MAX_GRID_NODES_PER_SEED: Final = 20
# Tiling is retried with fresh seeds when floating point defeats it; a retry draws from
# the same generator, so the result stays a pure function of (polygon, n, seed).
_MAX_ATTEMPTS: Final = 8
_MAX_SAMPLING_ROUNDS: Final = 64


def partition(
    polygon: Polygon | MultiPolygon,
    n: int,
    *,
    seed: int,
) -> list[Polygon | MultiPolygon]:
    """Split ``polygon`` into ``n`` pieces of about equal area, north-west first.

    The pieces are the cells of a Lloyd-relaxed Voronoi diagram, cut out of one noded
    linework (the polygon's boundary plus the Voronoi edges): neighbours share exact
    vertices, so the pieces tile the polygon with no overlap and no gap. The result is
    deterministic for a given (polygon, n, seed).
    """
    if n < 1:
        msg = f"n must be at least 1, got {n}"
        raise ValueError(msg)
    if n == 1:
        return [polygon]
    area = polygon if polygon.is_valid else _areal(shapely.make_valid(polygon))
    if area.is_empty or area.area <= 0:
        msg = "cannot partition an empty or zero-area polygon"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    for _ in range(_MAX_ATTEMPTS):
        seeds = _sample_seeds(area, n, rng)
        for _ in range(_LLOYD_ITERATIONS):
            seeds = _lloyd_step(area, seeds)
        pieces = _tile(area, seeds)
        if pieces is not None:
            return _north_west_first(pieces)
    msg = f"could not split the polygon into {n} pieces: too small for that many"
    raise ValueError(msg)


def _sample_seeds(
    area: Areal,
    n: int,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Draw ``n`` distinct points strictly inside ``area``, spread out evenly.

    A jittered grid with one node per ``n``-th of the area starts Lloyd's iterations
    much closer to balance than uniform points would. It rarely has exactly ``n``
    inner nodes, so a random subset is kept, or uniform points are added.
    """
    found = _distinct(_inside(area, _jittered_grid(area, n, rng)))
    if len(found) > n:
        return found[np.sort(rng.choice(len(found), size=n, replace=False))]
    triangles: NDArray[np.float64] | None = None
    for _ in range(_MAX_SAMPLING_ROUNDS):
        if len(found) >= n:
            return found[:n]
        if triangles is None:
            triangles = _triangles(area)
        extra = _uniform_in_triangles(triangles, n - len(found) + 8, rng)
        found = _distinct(np.concatenate([found, _inside(area, extra)]))
    msg = f"could not place {n} distinct points inside the polygon: too small"
    raise ValueError(msg)


def _jittered_grid(
    area: Areal,
    n: int,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Lay a shifted, jittered square grid with a node per ``n``-th of the area."""
    xmin, ymin, xmax, ymax = area.bounds
    step = (area.area / n) ** 0.5
    if (xmax - xmin) * (ymax - ymin) > _MAX_GRID_NODES_PER_SEED * n * step * step:
        return np.empty((0, 2), dtype=np.float64)
    xs = np.arange(xmin + step * rng.uniform(0, 1), xmax, step)
    ys = np.arange(ymin + step * rng.uniform(0, 1), ymax, step)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    return grid + rng.uniform(-_JITTER * step, _JITTER * step, size=grid.shape)


def _triangles(area: Areal) -> NDArray[np.float64]:
    """Return the corners of a triangulation of ``area``, shaped (triangles, 3, 2)."""
    parts = shapely.get_parts(shapely.constrained_delaunay_triangles(area))
    return shapely.get_coordinates(parts).reshape(len(parts), 4, 2)[:, :3]


def _uniform_in_triangles(
    triangles: NDArray[np.float64],
    k: int,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Draw ``k`` points uniformly over the union of ``triangles``, rejecting none."""
    a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    ab, ac = b - a, c - a
    weights = np.abs(ab[:, 0] * ac[:, 1] - ab[:, 1] * ac[:, 0])
    pick = rng.choice(len(triangles), size=k, p=weights / weights.sum())
    u, v = rng.uniform(0, 1, size=(2, k, 1))
    # Reflecting the far half of the unit square folds it onto the triangle, keeping
    # the density uniform.
    flip = (u + v) > 1
    u, v = np.where(flip, 1 - u, u), np.where(flip, 1 - v, v)
    points: NDArray[np.float64] = a[pick] + u * ab[pick] + v * ac[pick]
    return points


def _inside(area: Areal, xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Keep the points of ``xy`` that lie strictly inside ``area``."""
    return xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]


def _distinct(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Drop repeated points, keeping first occurrences in their original order."""
    _, first = np.unique(xy, axis=0, return_index=True)
    return xy[np.sort(first)]


def _lloyd_step(area: Areal, seeds: NDArray[np.float64]) -> NDArray[np.float64]:
    """Move each seed to the centroid of its Voronoi cell clipped to ``area``.

    A centroid can fall outside a concave or split cell; the cell's point on surface
    stands in then. Should moving still leave ``area`` or make two seeds collide, the
    seeds stay where they were.
    """
    sites = shapely.multipoints(seeds)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(sites, extend_to=area, ordered=True),
    )
    if len(cells) != len(seeds):
        return seeds
    clipped = shapely.intersection(cells, area)
    moved = shapely.get_coordinates(shapely.centroid(clipped))
    if len(moved) != len(seeds):
        return seeds
    outside = ~shapely.contains_xy(area, moved[:, 0], moved[:, 1])
    if outside.any():
        surface = shapely.get_coordinates(shapely.point_on_surface(clipped[outside]))
        if len(surface) == outside.sum():
            moved[outside] = surface
    stuck = ~shapely.contains_xy(area, moved[:, 0], moved[:, 1])
    moved[stuck] = seeds[stuck]
    return moved if len(_distinct(moved)) == len(moved) else seeds


def _tile(area: Areal, seeds: NDArray[np.float64]) -> list[Areal] | None:
    """Cut ``area`` along the Voronoi edges of ``seeds``: a piece per seed, or None.

    The edges are not clipped first, so each crossing of the boundary is a proper
    intersection that noding cannot miss; the faces outside ``area`` (beyond it, or
    in its holes) are dropped afterwards.
    """
    sites = shapely.multipoints(seeds)
    edges = shapely.voronoi_polygons(sites, extend_to=area, only_edges=True)
    linework = shapely.union(shapely.boundary(area), edges)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(linework)))
    probes = shapely.point_on_surface(faces)
    inside = shapely.contains(area, probes)
    faces, probes = faces[inside], probes[inside]
    # A face lies within one Voronoi cell: the points nearest to that cell's seed.
    owner = shapely.STRtree(shapely.get_parts(sites)).query_nearest(probes)[1]
    if len(np.unique(owner)) != len(seeds):
        return None
    pieces: list[Areal] = []
    for index in range(len(seeds)):
        mine = faces[owner == index]
        piece = _areal(mine[0] if len(mine) == 1 else shapely.union_all(mine))
        if piece.is_empty or piece.area <= 0 or not piece.is_valid:
            return None
        pieces.append(piece)
    return pieces


def _areal(geom: BaseGeometry) -> Areal:
    """Keep the polygonal parts of ``geom``: a Polygon when there is only one."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [
        part for part in shapely.get_parts(shapely.get_parts(geom)) if isinstance(part, Polygon) and not part.is_empty
    ]
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def _north_west_first(pieces: list[Areal]) -> list[Areal]:
    """Order pieces by representative point: north before south, then west first."""
    anchors = shapely.get_coordinates(shapely.point_on_surface(pieces))
    order = sorted(
        range(len(pieces)),
        key=lambda i: (-anchors[i, 1], anchors[i, 0], i),
    )
    return [pieces[i] for i in order]
