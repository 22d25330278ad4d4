"""Trailing-window order statistics: the sorting network sorts, missing months are ignored, not zero."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.early_warning.detect.windows import network, running_total, sort_rows, trailing_stats


@given(st.integers(1, 24), st.integers(0, 2**32 - 1))
@settings(max_examples=60)
def test_the_network_sorts_any_values(size: int, seed: int) -> None:
    values = np.random.default_rng(seed).normal(size=(size, 50)).astype(np.float32)
    ordered = np.stack(sort_rows([row.copy() for row in values]))
    assert np.array_equal(ordered, np.sort(values, axis=0))
    assert all(low < high < size for low, high in network(size))


def _nan_stats(series: np.ndarray, first: int, last: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    padded = np.concatenate([np.full((window, series.shape[1]), np.nan, dtype=np.float32), series])
    views = np.stack([padded[t : t + window] for t in range(first, last + 1)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(views, axis=1), (~np.isnan(views)).sum(axis=1)


@given(st.integers(0, 2**32 - 1), st.floats(0, 0.5))
@settings(max_examples=30, deadline=None)
def test_the_median_ignores_missing_months(seed: int, missing: float) -> None:
    rng = np.random.default_rng(seed)
    series = rng.lognormal(5, 1, size=(30, 40)).astype(np.float32)
    series[rng.random(series.shape) < missing] = np.nan
    stats = trailing_stats(series, 2, 29, 12, 4)
    expected, delivered = _nan_stats(series, 2, 29, 12)
    expected[delivered < 4] = np.nan
    assert np.array_equal(stats.delivered, delivered)
    assert np.allclose(stats.median, expected, equal_nan=True, rtol=1e-6)
    has = ~np.isnan(stats.median)
    assert (stats.lower_quartile[has] <= stats.median[has]).all()
    assert (stats.median[has] <= stats.upper_quartile[has]).all()


def test_a_missing_month_is_not_read_as_zero() -> None:
    series = np.full((13, 1), 100.0, dtype=np.float32)
    series[3:9] = np.nan  # half the window missing: the median is still 100, not 50
    stats = trailing_stats(series, 12, 12, 12, 6)
    assert stats.median[0, 0] == 100
    assert stats.delivered[0, 0] == 6


def test_too_short_a_history_gives_no_baseline() -> None:
    series = np.full((5, 2), 7.0, dtype=np.float32)
    stats = trailing_stats(series, 0, 4, 12, 3)
    assert np.isnan(stats.median[:3]).all()
    assert (stats.median[3:] == 7).all()


def test_running_totals_start_at_zero() -> None:
    values = np.arange(6, dtype=np.float32).reshape(3, 2)
    assert running_total(values, np.float64).tolist() == [[0, 0], [0, 1], [2, 4], [6, 9]]
