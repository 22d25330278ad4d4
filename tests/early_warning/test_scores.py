"""The pieces behind the scores: ECOD tail chances, industry medians, calibration, squash, the baseline."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.early_warning.panel_helpers import flat_panel
from zhili.early_warning.baseline import baseline_scores
from zhili.early_warning.detect.change import squash
from zhili.early_warning.detect.config import MultivariateParams, load_default
from zhili.early_warning.detect.grades import calibrate
from zhili.early_warning.detect.multivariate import surprisal
from zhili.early_warning.detect.series import industry_median
from zhili.early_warning.indicators import Indicator


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=20, deadline=None)
def test_surprisal_is_the_upper_tail_chance_among_the_months_firms(seed: int) -> None:
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2, (3, 400)).astype(np.float32)
    z[rng.random(z.shape) < 0.1] = np.nan
    params = MultivariateParams(bins_per_unit=1000)
    got = surprisal(z, 6.0, params)
    binned = np.rint((np.clip(np.nan_to_num(z), -6, 6) + 6) * 1000)  # the grid; NaN counts as 0
    for month in range(3):
        at_or_above = (binned[month][None, :] >= binned[month][:, None]).sum(axis=1)
        expected = -np.log((at_or_above + 1) / (z.shape[1] + 1))
        assert np.allclose(got[month], expected, atol=1e-5)


def test_an_extreme_firm_is_the_most_surprising() -> None:
    z = np.zeros((1, 100), dtype=np.float32)
    z[0, 7] = 5
    got = surprisal(z, 6.0, MultivariateParams())
    assert got[0].argmax() == 7
    assert got[0, 7] == pytest.approx(-np.log(2 / 101))
    assert got[0, 0] == pytest.approx(-np.log(101 / 101), abs=1e-6)


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=20, deadline=None)
def test_industry_medians_match_nanmedian(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(4, 300)).astype(np.float32)
    values[rng.random(values.shape) < 0.2] = np.nan
    industries = rng.integers(0, 5, 300).astype(np.int16)
    got = industry_median(values, industries)
    for code in range(5):
        members = industries == code
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanmedian(values[:, members], axis=1)
        assert np.allclose(got[:, members], expected[:, None], equal_nan=True)


def test_calibration_gives_the_asked_rates() -> None:
    history = np.random.default_rng(1).random((20_000, 12)).astype(np.float32)
    config = calibrate(load_default(), history, (1_000, 400, 100))
    for cutoff, rate in ((config.grades.yellow, 1_000), (config.grades.orange, 400), (config.grades.red, 100)):
        assert (history >= cutoff).mean() * 100_000 == pytest.approx(rate, rel=0.05)
    with pytest.raises(ValueError, match="rates"):
        calibrate(load_default(), history, (100, 400, 1_000))


def test_squash_is_a_rising_logistic() -> None:
    values = np.array([-100, 0, 4, 8, 100], dtype=np.float32)
    got = squash(values, 4, 4)
    assert got[2] == pytest.approx(0.5)
    assert (np.diff(got) >= 0).all()
    assert got[0] == pytest.approx(0, abs=1e-6)
    assert got[-1] == pytest.approx(1)


def test_the_baseline_scores_an_odd_firm_highest() -> None:
    panel = flat_panel(firms=200, months=14)
    panel.values[Indicator.ELECTRICITY_KWH][5, :] *= 50
    panel.values[Indicator.TAX_DECLARED][5, :] /= 50
    scores = baseline_scores(panel, panel.last, panel.last)
    assert scores.shape == (200, 1)
    assert scores[:, 0].argmax() == 5
