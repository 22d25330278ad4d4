"""Trailing-window order statistics (median, quartiles) of every firm at many months at once. Pure.

A window of W months is sorted by a fixed sorting network (Batcher's odd-even merge sort) of
element-wise `minimum`/`maximum` over whole time-major slices `[months, firms]`, so no Python loop runs
over firms and the sort costs about 40 vector operations for W = 12 (`np.sort` along a short axis is
several times slower). Missing values sort last as +inf and each firm's own count of delivered months
picks its order statistics, so a missing month is ignored rather than read as zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from zhili.early_warning.panel import FloatArray, float32

F32 = FloatArray  # [months, firms] float32, NaN = missing
f32 = float32

Number = TypeVar("Number", bound=np.generic)
_CHUNK_VALUES = 1_200_000  # float32 values sorted at once (about 5 MB): measured best on this machine


@cache
def network(size: int) -> tuple[tuple[int, int], ...]:
    """Compare-exchange pairs (low, high) that sort `size` values (Batcher, pruned to `size`)."""
    padded = 1 << max(size - 1, 0).bit_length()
    pairs: list[tuple[int, int]] = []
    half = 1
    while half < padded:
        step = half
        while step >= 1:
            for start in range(step % half, padded - step, 2 * step):
                for offset in range(min(step, padded - start - step)):
                    low, high = start + offset, start + offset + step
                    if low // (2 * half) == high // (2 * half) and high < size:
                        pairs.append((low, high))
            step //= 2
        half *= 2
    return tuple(pairs)


def sort_rows(rows: list[F32]) -> list[F32]:
    """The element-wise sorted values of equally shaped arrays (first the smallest), reusing their memory.

    NaN must already be +inf. Each compare-exchange is two ufunc calls into a spare buffer, whose
    reference then swaps with the low slot's, so nothing is copied.
    """
    ordered = list(rows)
    spare = np.empty_like(ordered[0])
    for low, high in network(len(ordered)):
        np.minimum(ordered[low], ordered[high], out=spare)
        np.maximum(ordered[low], ordered[high], out=ordered[high])
        ordered[low], spare = spare, ordered[low]
    return ordered


def running_total(values: npt.NDArray[Any], dtype: type[Number]) -> npt.NDArray[Number]:
    """Cumulative sums down the first axis with a leading row of zeros (`[rows + 1, ...]`).

    A loop over the (few) rows: `np.cumsum(axis=0)` on a wide array is about ten times slower.
    """
    total = np.zeros((values.shape[0] + 1, *values.shape[1:]), dtype=dtype)
    for row in range(values.shape[0]):
        np.add(total[row], values[row], out=total[row + 1])
    return total


@dataclass(frozen=True, slots=True)
class TrailingStats:
    """Order statistics of the `window` months before each target month, time-major `[targets, firms]`."""

    median: F32
    lower_quartile: F32
    upper_quartile: F32
    delivered: npt.NDArray[np.int16]  # months with a value in the window


def trailing_stats(series: F32, first: int, last: int, window: int, min_history: int) -> TrailingStats:
    """Stats of months `t - window .. t - 1` of `series` (time-major `[months, firms]`) for t in first..last.

    Months before the start of `series` count as missing; fewer than `min_history` delivered months
    give NaN. Each target month is sorted in chunks of firms small enough to stay in the cache.
    """
    firms = series.shape[1]
    # padded row r is series row first - window + r; target t (row t - first) reads rows r .. r + window - 1
    padded = np.full((last - first + window, firms), np.inf, dtype=np.float32)
    source = max(0, first - window)
    padded[source - (first - window) :] = np.where(
        np.isnan(series[source:last]), np.float32(np.inf), series[source:last]
    )
    seen = running_total(np.isfinite(padded), np.int16)
    targets = last - first + 1
    delivered = seen[window : window + targets] - seen[:targets]
    median, lower, upper = (np.empty(delivered.shape, dtype=np.float32) for _ in range(3))
    chunk = max(1024, _CHUNK_VALUES // window)
    for row in range(targets):
        for start in range(0, firms, chunk):
            part = slice(start, min(start + chunk, firms))
            ordered = sort_rows([padded[row + slot, part].copy() for slot in range(window)])
            stats = _order_stats(ordered, delivered[row, part])
            median[row, part], lower[row, part], upper[row, part] = stats
    short = delivered < min_history
    for stat in (median, lower, upper):
        stat[short] = np.nan
    return TrailingStats(median, lower, upper, delivered)


def _order_stats(ordered: list[F32], count: npt.NDArray[np.int16]) -> tuple[F32, F32, F32]:
    """Median and quartiles of sorted rows `ordered` given each firm's count of values.

    Most firms delivered every month of the window, so the fixed positions are read first and only
    the firms with fewer values are gathered again.
    """
    full = len(ordered) - 1
    median = (ordered[full // 2] + ordered[(full + 1) // 2]) / np.float32(2)
    lower, upper = ordered[round(full * 0.25)].copy(), ordered[round(full * 0.75)].copy()
    short = np.flatnonzero(count <= full)
    if short.size:
        values = np.stack([row[short] for row in ordered])
        ranks = np.maximum(count[short], 1).astype(np.intp) - 1

        def pick(rank: npt.NDArray[np.intp]) -> F32:
            return f32(np.take_along_axis(values, rank[None], axis=0)[0])

        median[short] = (pick(ranks // 2) + pick((ranks + 1) // 2)) / np.float32(2)
        lower[short] = pick(np.rint(ranks * 0.25).astype(np.intp))
        upper[short] = pick(np.rint(ranks * 0.75).astype(np.intp))
    return median, lower, upper
