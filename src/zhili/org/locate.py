"""Point-in-polygon lookup: the cell of one level (grid, village...) holding a point."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np
import shapely

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike, NDArray
    from shapely.geometry.base import BaseGeometry

__all__ = ["Locator"]

# Buckets per cell of the lookup grid. Finer buckets lie wholly inside one cell more
# often, and such a bucket answers with no geometry test, but they take longer to
# build: for 4,800 cells, 16 / 32 / 64 buckets per cell gave 240k / 320k / 410k
# lookups/s of points inside cells, for 0.17 / 0.30 / 0.51 s of building.
_BUCKETS_PER_CELL: Final = 32
_MAX_BUCKETS: Final = 1 << 21
# Buckets are tested slightly enlarged, so that a point which rounding puts into a
# neighbouring bucket still lies inside the box that was tested for that bucket.
_BUCKET_MARGIN: Final = 1e-6

# A bucket is a code when it lies wholly inside that cell, else the (geometry, code)
# pairs of the cells that touch it, in cell order (none, outside every cell).
_Bucket = str | tuple[tuple["BaseGeometry", str], ...]


class Locator:
    """Find the cell containing a point among non-overlapping cells of one level.

    A point on an edge shared by several cells goes to the cell listed first, by both
    :meth:`locate` and :meth:`locate_many`. The cells' geometries are prepared in place.
    """

    def __init__(self, cells: Sequence[tuple[str, BaseGeometry]]) -> None:
        """Index ``cells``, given as (code, polygon) pairs."""
        # A trailing None lets the index one past the last cell stand for "no cell".
        self._codes: NDArray[np.object_] = np.array([*(c for c, _ in cells), None])
        self._geoms: NDArray[np.object_] = np.array([g for _, g in cells], dtype=object)
        shapely.prepare(self._geoms)
        # GEOS builds a prepared polygon's point index lazily, on its first point
        # test, and that build is not thread-safe: build them all here, so that
        # concurrent lookups only ever read.
        probes = shapely.point_on_surface(self._geoms)
        shapely.intersects_xy(self._geoms, shapely.get_x(probes), shapely.get_y(probes))
        self._tree = shapely.STRtree(self._geoms)
        self._table: list[_Bucket] = []
        self._x0 = self._y0 = 0.0
        self._scale = 0.0
        self._nx = self._ny = 0
        if len(cells) > 0:
            self._build_grid()

    def __len__(self) -> int:
        """Return the number of cells."""
        return len(self._geoms)

    def locate(self, lon: float, lat: float) -> str | None:
        """Return the code of the cell holding (lon, lat), or None outside all cells."""
        # Written so that a NaN coordinate fails the range test and is outside.
        ix = (lon - self._x0) * self._scale
        iy = (lat - self._y0) * self._scale
        if not (0 <= ix < self._nx and 0 <= iy < self._ny):
            return None
        bucket = self._table[int(iy) * self._nx + int(ix)]
        if isinstance(bucket, str):
            return bucket
        for geom, code in bucket:
            if shapely.intersects_xy(geom, lon, lat):
                return code
        return None

    def locate_many(self, lons: ArrayLike, lats: ArrayLike) -> list[str | None]:
        """Return the code of each point's cell, as :meth:`locate` would one by one."""
        xs = np.asarray(lons, dtype=np.float64)
        ys = np.asarray(lats, dtype=np.float64)
        if xs.shape != ys.shape or xs.ndim != 1:
            msg = "lons and lats must be one-dimensional arrays of the same length"
            raise ValueError(msg)
        points, cells = self._tree.query(shapely.points(xs, ys), predicate="intersects")
        # The sentinel index past the last cell maps to None: the point hit no cell.
        best = np.full(len(xs), len(self._geoms), dtype=np.intp)
        np.minimum.at(best, points, cells)
        codes: list[str | None] = self._codes[best].tolist()
        return codes

    def _build_grid(self) -> None:
        """Cover the cells' bounding box with square buckets and resolve each bucket."""
        xmin, ymin, xmax, ymax = (float(v) for v in shapely.total_bounds(self._geoms))
        if not np.isfinite([xmin, ymin, xmax, ymax]).all():
            return
        width, height = xmax - xmin, ymax - ymin
        count = min(_BUCKETS_PER_CELL * len(self._geoms), _MAX_BUCKETS)
        step = (width * height / count) ** 0.5 or max(width, height) or 1.0
        self._x0, self._y0, self._scale = xmin, ymin, 1.0 / step
        self._nx, self._ny = int(width / step) + 1, int(height / step) + 1
        ix, iy = (a.ravel() for a in np.meshgrid(np.arange(self._nx), np.arange(self._ny)))
        margin = step * _BUCKET_MARGIN
        boxes = shapely.box(
            xmin + ix * step - margin,
            ymin + iy * step - margin,
            xmin + (ix + 1) * step + margin,
            ymin + (iy + 1) * step + margin,
        )
        self._table = self._resolve(boxes)

    def _resolve(self, boxes: NDArray[np.object_]) -> list[_Bucket]:
        """Give each box the cell wholly containing it, else the cells touching it."""
        box_of, cell_of = self._tree.query(boxes)
        touching = shapely.intersects(self._geoms[cell_of], boxes[box_of])
        box_of, cell_of = box_of[touching], cell_of[touching]
        order = np.lexsort((cell_of, box_of))
        box_of, cell_of = box_of[order], cell_of[order]
        alone = np.bincount(box_of, minlength=len(boxes))[box_of] == 1
        alone[alone] = shapely.contains_properly(
            self._geoms[cell_of[alone]],
            boxes[box_of[alone]],
        )
        table: list[_Bucket] = [()] * len(boxes)
        for box, code in zip(
            box_of[alone].tolist(),
            self._codes[cell_of[alone]].tolist(),
            strict=True,
        ):
            table[box] = code
        box_of, cell_of = box_of[~alone], cell_of[~alone]
        geoms, codes = self._geoms[cell_of].tolist(), self._codes[cell_of].tolist()
        pairs = list(zip(geoms, codes, strict=True))
        starts = np.flatnonzero(np.diff(box_of, prepend=-1)).tolist()
        for start, end in zip(starts, [*starts[1:], len(pairs)], strict=True):
            table[box_of[start]] = tuple(pairs[start:end])
        return table
