"""Rules fire on the condition held for the months they need, and never on a missing value alone."""

from __future__ import annotations

import numpy as np
import pytest

from tests.early_warning.panel_helpers import flat_panel
from zhili.early_warning.detect.compute import compute
from zhili.early_warning.detect.config import DetectorConfig, load_default
from zhili.early_warning.detect.rules import runs
from zhili.early_warning.indicators import Indicator
from zhili.early_warning.panel import Panel


def _fired(panel: Panel, config: DetectorConfig, rule_id: str, column: int) -> np.ndarray:
    computation = compute(panel, config, column, column, 12)
    outcome = next(o for o in computation.rules if o.rule.id == rule_id)
    return outcome.fired(column - computation.start)


@pytest.fixture
def config() -> DetectorConfig:
    return load_default()


def test_runs_count_consecutive_months() -> None:
    condition = np.array([[1], [1], [0], [1], [1], [1]], dtype=bool)
    assert runs(condition)[:, 0].tolist() == [1, 2, 0, 1, 2, 3]


def test_electricity_at_a_third_two_months_running_fires(config: DetectorConfig) -> None:
    panel = flat_panel()
    panel.values[Indicator.ELECTRICITY_KWH][0, 22:] /= 3
    panel.values[Indicator.ELECTRICITY_KWH][1, 23:] /= 3  # one month only: not yet
    fired = _fired(panel, config, "electricity_half_own_median", 23)
    assert fired[0]
    assert not fired[1:].any()


def test_a_missing_month_never_fires_a_rule(config: DetectorConfig) -> None:
    panel = flat_panel(si_arrears=0.0)
    for values in panel.values.values():
        values[0, 20:] = np.nan  # a feed that stopped delivering: late, not zero
    computation = compute(panel, config, 23, 23, 12)
    assert not any(outcome.fired(-1)[0] for outcome in computation.rules)


def test_a_gap_breaks_a_run(config: DetectorConfig) -> None:
    panel = flat_panel()
    panel.values[Indicator.ELECTRICITY_KWH][0, 21:] /= 3
    panel.values[Indicator.ELECTRICITY_KWH][0, 22] = np.nan
    assert not _fired(panel, config, "electricity_half_own_median", 23)[0]


def test_a_dip_every_february_does_not_fire_against_last_year(config: DetectorConfig) -> None:
    panel = flat_panel()
    electricity = panel.values[Indicator.ELECTRICITY_KWH]
    for column in (1, 2, 13, 14):  # February and March of 2024 and 2025, both years alike
        electricity[:, column] /= 3
    assert not _fired(panel, config, "electricity_below_last_year", 14).any()
    assert not _fired(panel, config, "electricity_half_own_median", 14).any()  # seasonal_exempt
    rules = tuple(rule.model_copy(update={"seasonal_exempt": False}) for rule in config.rules)
    plain = config.model_copy(update={"rules": rules})
    assert _fired(panel, plain, "electricity_half_own_median", 14).all()  # the own median alone would fire


def test_the_change_score_takes_a_repeated_dip_for_the_season(config: DetectorConfig) -> None:
    panel = flat_panel()
    electricity = panel.values[Indicator.ELECTRICITY_KWH]
    electricity[:20, [10, 11, 22, 23]] /= 3  # the first 20 firms dip every November and December
    electricity[20:, [22, 23]] /= 3  # the others only this year
    computation = compute(panel, config, 23, 23, 0)
    z = next(o for o in computation.signals if o.signal.indicator is Indicator.ELECTRICITY_KWH).z[0]
    assert (z[:20] < 1).all()
    assert (z[20:] > 3).all()


def test_rules_on_one_indicator_count_once() -> None:
    config = load_default()
    panel = flat_panel()
    panel.values[Indicator.ELECTRICITY_KWH][0, 22:] /= 4
    computation = compute(panel, config, 23, 23, 1)
    fired = [o.rule for o in computation.rules if o.fired(-1)[0]]
    assert {rule.indicator for rule in fired} == {Indicator.ELECTRICITY_KWH}
    assert len(fired) == 3
    assert computation.rules_part[-1, 0] == pytest.approx(max(rule.weight for rule in fired))


def test_a_dip_of_the_whole_industry_does_not_fire_against_the_industry(config: DetectorConfig) -> None:
    panel = flat_panel()
    manufacturing = panel.industries == panel.industries[0]
    panel.values[Indicator.ELECTRICITY_KWH][np.ix_(manufacturing, [22, 23])] /= 3
    assert not _fired(panel, config, "electricity_below_industry", 23).any()
    panel.values[Indicator.ELECTRICITY_KWH][1, 22:] /= 3  # a retail firm alone
    assert _fired(panel, config, "electricity_below_industry", 23)[1]


def test_wages_paid_below_due_compares_with_the_usual_share(config: DetectorConfig) -> None:
    panel = flat_panel()
    paid = panel.values[Indicator.WAGES_PAID]
    paid[1] *= 0.8  # a firm that always pays 80 % (building firms settle at year end)
    paid[0, 23] *= 0.5
    fired = _fired(panel, config, "wages_paid_below_due", 23)
    assert fired[0]
    assert not fired[1]


def test_new_arrears_fire_a_level_rule(config: DetectorConfig) -> None:
    panel = flat_panel(si_arrears=0.0)
    panel.values[Indicator.SI_ARREARS][3, 23] = 12_000
    assert np.flatnonzero(_fired(panel, config, "si_arrears", 23)).tolist() == [3]


def test_rules_on_indicators_the_panel_lacks_are_silent(config: DetectorConfig) -> None:
    computation = compute(flat_panel(), config, 23, 23, 1)
    ids = {outcome.rule.id for outcome in computation.rules}
    assert "wage_complaints" not in ids
    assert "electricity_half_own_median" in ids
