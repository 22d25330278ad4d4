"""Properties over random panels: a missing value never fires a rule, risk stays in [0, 1), grades follow risk."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.early_warning.panel_helpers import flat_panel
from zhili.early_warning.detect.assess import assess
from zhili.early_warning.detect.compute import compute
from zhili.early_warning.detect.config import load_default
from zhili.early_warning.detect.grades import grade
from zhili.early_warning.indicators import Indicator

CONFIG = load_default()


@given(st.integers(0, 2**32 - 1), st.floats(0.05, 0.6))
@settings(max_examples=25, deadline=None)
def test_a_missing_value_never_fires_a_rule(seed: int, missing: float) -> None:
    rng = np.random.default_rng(seed)
    panel = flat_panel(firms=12, months=20, seed=seed, si_arrears=0.0, complaints=0.0)
    for values in panel.values.values():
        np.multiply(values, rng.lognormal(0, 0.8, values.shape), out=values, casting="unsafe")  # wild swings
        values[rng.random(values.shape) < missing] = np.nan
    computation = compute(panel, CONFIG, 8, 19, 0)
    for outcome in computation.rules:
        rule = outcome.rule
        current = panel.values[rule.indicator][:, 8:20].T
        if rule.per is not None:
            current = current + panel.values[rule.per][:, 8:20].T  # NaN if either is missing
        assert not (outcome.run[np.isnan(current)]).any(), rule.id


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=10, deadline=None)
def test_risk_is_in_range_and_grades_follow_it(seed: int) -> None:
    rng = np.random.default_rng(seed)
    panel = flat_panel(firms=30, months=18, seed=seed, si_arrears=0.0)
    panel.values[Indicator.SI_ARREARS][rng.random((30, 18)) < 0.1] = 5000
    panel.values[Indicator.ELECTRICITY_KWH][rng.random((30, 18)) < 0.2] /= 4
    result = assess(panel, CONFIG, panel.last)
    assert ((result.scores >= 0) & (result.scores < 1)).all()
    assert np.array_equal(result.grades, grade(result.scores, CONFIG.grades))
    order = np.argsort(-result.scores, kind="stable")
    assert (np.diff(result.grades[order].astype(int)) <= 0).all()
    assert [risk.firm_id for risk in result.risks] == [int(panel.firm_ids[row]) for row in order[: len(result.risks)]]
