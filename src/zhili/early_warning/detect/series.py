"""The series the detectors read (an indicator, or its ratio to another) over a range of months. Pure.

Everything here is time-major, `[months, firms]`, so that a month is one contiguous row. A series
whose indicator the panel does not carry is simply absent (its rules and signals stay silent).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from zhili.early_warning.detect.config import Baseline
from zhili.early_warning.detect.windows import F32, TrailingStats, f32, trailing_stats
from zhili.early_warning.indicators import Indicator
from zhili.early_warning.panel import Panel

SeriesKey = tuple[Indicator, Indicator | None]
YEAR = 12
INDUSTRY_SAMPLE = 4000


def raw_series(panel: Panel, key: SeriesKey) -> F32 | None:
    """The series time-major (`[months, firms]`), a ratio where `per` is set (NaN where it is not > 0)."""
    indicator, per = key
    if indicator not in panel.values or (per is not None and per not in panel.values):
        return None
    values = np.ascontiguousarray(panel.values[indicator].T, dtype=np.float32)
    if per is None:
        return values
    denominator = panel.values[per].T
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, values / denominator, np.float32(np.nan)).astype(np.float32)


class _RecentMeans:
    """Means of the delivered log1p values over the last `months` months.

    Summed month by month in the same order whatever range is asked for, so that a month's mean is
    bit-for-bit the same in `assess` and in `score_history` (running totals drift in float32, and a
    drift of 1e-5 can move a z-score across a bin of the multivariate score).
    """

    def __init__(self, raw: F32, months: int, since: int) -> None:
        """log1p(`raw`) from row `since` on (earlier rows are never asked for)."""
        logs = np.log1p(np.maximum(raw[since:], np.float32(0)))
        self._delivered = f32(~np.isnan(logs))
        self._filled = np.where(np.isnan(logs), np.float32(0), logs)
        self._months, self._since = months, since

    def over(self, first: int, last: int) -> F32:
        """The mean over months `t - months + 1 .. t` for t in first..last (NaN when none delivered).

        Months before `since` count as not delivered.
        """
        first, last = first - self._since, last - self._since
        total = np.zeros((last - first + 1, self._filled.shape[1]), dtype=np.float32)
        count = np.zeros(total.shape, dtype=np.float32)
        for back in range(self._months):
            lo, hi = first - back, last - back + 1
            if hi <= 0:
                continue
            skip = total.shape[0] - (hi - max(lo, 0))  # target rows whose month `back` lies before `since`
            total[skip:] += self._filled[max(lo, 0) : hi]
            count[skip:] += self._delivered[max(lo, 0) : hi]
        with np.errstate(invalid="ignore", divide="ignore"):
            return f32(total / np.where(count > 0, count, np.float32(np.nan)))


@dataclass(frozen=True, slots=True)
class SeriesWindow:
    """One series at target months `first..last` (rows) with what the detectors compare it with."""

    current: F32  # the value at each target month
    last_year: F32  # the value in the same month a year before (NaN if not in the panel)
    stats: TrailingStats  # the firm's own trailing window before each target month
    recent_log: F32  # mean log1p over the recent months ending at the target month
    recent_log_last_year: F32  # the same a year before


def series_window(raw: F32, first: int, last: int, baseline: Baseline, recent_months: int) -> SeriesWindow:
    """`raw` (time-major) seen from target months `first..last` (panel columns)."""
    targets = last - first + 1
    last_year = np.full((targets, raw.shape[1]), np.nan, dtype=np.float32)
    skip = max(0, YEAR - first)
    if skip < targets:
        last_year[skip:] = raw[first + skip - YEAR : last + 1 - YEAR]
    recent = _RecentMeans(raw, recent_months, max(0, first - YEAR - recent_months))
    recent_last_year = np.full_like(last_year, np.nan)
    if skip < targets:
        recent_last_year[skip:] = recent.over(first + skip - YEAR, last - YEAR)
    return SeriesWindow(
        current=raw[first : last + 1],
        last_year=last_year,
        stats=trailing_stats(raw, first, last, baseline.window, baseline.min_history),
        recent_log=recent.over(first, last),
        recent_log_last_year=recent_last_year,
    )


def industry_median(values: F32, industries: npt.NDArray[np.int16], missing: float = np.nan) -> F32:
    """Each firm's industry median of `values` (`[months, firms]`) in each month; NaN values ignored.

    An industry without any value in a month gets `missing` there.

    An industry's median is taken over an evenly spaced sample of at most `INDUSTRY_SAMPLE` of its
    firms (its error is then a few hundredths of a spread), which bounds the cost on large panels.
    """
    codes, inverse = np.unique(industries, return_inverse=True)
    table = np.full((values.shape[0], codes.size), np.nan, dtype=np.float32)
    for position in range(codes.size):
        members = np.flatnonzero(inverse == position)
        members = members[:: max(1, -(-members.size // INDUSTRY_SAMPLE))]
        ordered = np.sort(values[:, members], axis=1)  # NaN sorts last
        count = (~np.isnan(ordered)).sum(axis=1)
        low = np.take_along_axis(ordered, (np.maximum(count - 1, 0) // 2)[:, None], axis=1)[:, 0]
        high = np.take_along_axis(ordered, np.minimum(count // 2, members.size - 1)[:, None], axis=1)[:, 0]
        table[:, position] = np.where(count > 0, (low + high) / 2, missing)
    return table[:, inverse]


class SeriesCache:
    """Series windows of one panel and month range, each built once for all rules and signals."""

    def __init__(self, panel: Panel, first: int, last: int, baseline: Baseline, recent_months: int) -> None:
        self.panel, self.first, self.last = panel, first, last
        self._baseline, self._recent = baseline, recent_months
        self._windows: dict[SeriesKey, SeriesWindow | None] = {}

    def get(self, key: SeriesKey) -> SeriesWindow | None:
        """The window of `key`, or None when the panel lacks one of its indicators."""
        if key not in self._windows:
            raw = raw_series(self.panel, key)
            self._windows[key] = (
                None if raw is None else series_window(raw, self.first, self.last, self._baseline, self._recent)
            )
        return self._windows[key]
