"""Benchmark the Locator on ~4,800 synthetic grids of Quzhou's six counties.

Run as ``python benchmarks/bench_locate.py`` from the project root. It partitions each
county into 800 cells, then times single-point ``locate`` and batched ``locate_many``
on 200,000 random points of the cells' bounding box, against a floor measured in the
same run: a bare loop calling ``shapely.contains_xy`` on one prepared polygon, the
cheapest point test there is. Target: at least 50,000 single-point lookups/s on one
core.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

ROOT = Path(__file__).resolve().parents[1]
# Lets the script run from a plain checkout, before the package is installed.
if importlib.util.find_spec("zhili") is None:
    sys.path.insert(0, str(ROOT / "src"))

from zhili.demo.partition import partition  # noqa: E402
from zhili.org.locate import Locator  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")
COUNTIES = ROOT / "src" / "zhili" / "org" / "data" / "zhejiang_counties.geojson"
QUZHOU = ("330802", "330803", "330822", "330824", "330825", "330881")
CELLS_PER_COUNTY = 800
POINTS = 200_000
TARGET = 50_000


def load_counties() -> dict[str, Polygon | MultiPolygon]:
    """Read Quzhou's county polygons from the packaged GeoJSON."""
    features = json.loads(COUNTIES.read_text(encoding="utf-8"))["features"]
    found: dict[str, Polygon | MultiPolygon] = {}
    for feature in features:
        code = feature["properties"]["code"]
        geom = shape(feature["geometry"])
        if code in QUZHOU and isinstance(geom, Polygon | MultiPolygon):
            found[code] = geom
    return found


def build_cells() -> list[tuple[str, Polygon | MultiPolygon]]:
    """Partition every county; codes are the county code plus a 4-digit number."""
    cells: list[tuple[str, Polygon | MultiPolygon]] = []
    for index, (code, county) in enumerate(sorted(load_counties().items())):
        pieces = partition(county, CELLS_PER_COUNTY, seed=index)
        cells.extend((f"{code}{i:04d}", piece) for i, piece in enumerate(pieces))
    return cells


def timed(run: Callable[[], T]) -> tuple[T, float]:
    """Run ``run`` once; return its result and the seconds it took."""
    tick = time.perf_counter()
    result = run()
    return result, time.perf_counter() - tick


def report(label: str, count: int, seconds: float) -> str:
    """Format one rate line."""
    return f"{label:<40}{count / seconds:>12,.0f}/s"


def main() -> int:
    """Run the benchmark and print its figures; exit 1 below the target."""
    started = time.perf_counter()
    cells, partition_s = timed(build_cells)
    locator, build_s = timed(lambda: Locator(cells))
    locate = locator.locate
    xmin, ymin, xmax, ymax = shapely.total_bounds([geom for _, geom in cells])
    rng = np.random.default_rng(0)
    lons = rng.uniform(xmin, xmax, POINTS)
    lats = rng.uniform(ymin, ymax, POINTS)
    pairs = list(zip(lons.tolist(), lats.tolist(), strict=True))
    single, single_s = timed(lambda: [locate(x, y) for x, y in pairs])
    batched, batched_s = timed(lambda: locator.locate_many(lons, lats))
    hits = [pair for pair, code in zip(pairs, single, strict=True) if code is not None]
    _, hits_s = timed(lambda: [locate(x, y) for x, y in hits])
    floor_geom = cells[0][1]
    shapely.prepare(floor_geom)
    contains_xy = shapely.contains_xy
    _, floor_s = timed(lambda: [contains_xy(floor_geom, x, y) for x, y in pairs])
    rate = POINTS / single_s
    verdict = "met" if rate >= TARGET else "MISSED"
    lines = [
        f"cells: {len(cells):,} ({len(QUZHOU)} counties x {CELLS_PER_COUNTY})",
        f"partition {partition_s:.2f} s, Locator build {build_s:.2f} s",
        f"points: {POINTS:,} uniform in the bounding box, {len(hits):,} in a cell",
        report("locate, one point per call", POINTS, single_s),
        report("locate, only the points in a cell", len(hits), hits_s),
        report("locate_many, one batch", POINTS, batched_s),
        report("floor: contains_xy on 1 prepared polygon", POINTS, floor_s),
        f"{'ratio locate / floor':<40}{rate * floor_s / POINTS:>12.2f}",
        f"{'target, single point on one core':<40}{TARGET:>12,}/s  {verdict}",
        f"locate and locate_many agree: {single == batched}",
        f"total {time.perf_counter() - started:.1f} s",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0 if rate >= TARGET and single == batched else 1


if __name__ == "__main__":
    sys.exit(main())
