"""Before / after and difference in differences: exact small examples, refusals, and coverage by simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from zhili.analytics.before_after import (
    Estimate,
    Measure,
    NotEnoughDataError,
    Sample,
    Verdict,
    compare,
    pool,
)


def _sample(months: float, cases: int, complaints: int, hours: list[float]) -> Sample:
    logs = [math.log(h) for h in hours]
    return Sample(months, cases, complaints, len(logs), sum(logs), sum(x * x for x in logs))


def test_volume_is_a_poisson_rate_ratio_per_month() -> None:
    before, after = _sample(6, 120, 60, [4, 16]), _sample(3, 40, 20, [4, 16])
    volume = compare(before, after).volume.pilot
    assert volume.change == pytest.approx((40 / 3) / (120 / 6) - 1)  # −1/3
    assert volume.std_error == pytest.approx(math.sqrt(1 / 120 + 1 / 40))
    assert volume.df is None
    z = stats.norm.ppf(0.975)
    assert volume.low == pytest.approx(math.exp(math.log(2 / 3) - z * volume.std_error) - 1)
    assert volume.high == pytest.approx(math.exp(math.log(2 / 3) + z * volume.std_error) - 1)


def test_handling_time_is_a_ratio_of_geometric_means_with_a_welch_interval() -> None:
    before, after = _sample(1, 3, 1, [2, 8, 32]), _sample(1, 2, 1, [1, 4])
    handling = compare(before, after).handling_time.pilot
    assert handling.change == pytest.approx(2 / 8 - 1)  # geometric means 8 and 2
    log2 = math.log(2)
    v_before, v_after = (4 * log2**2) / 3, (2 * log2**2) / 2  # s² / n: s² = (2 ln 2)² and (√2 ln 2)²
    assert handling.std_error == pytest.approx(math.sqrt(v_before + v_after))
    assert handling.df == pytest.approx((v_before + v_after) ** 2 / (v_before**2 / 2 + v_after**2 / 1))


def test_complaint_rate_uses_the_binomial_variance_of_each_share() -> None:
    before, after = _sample(1, 100, 50, [1, 2]), _sample(1, 80, 24, [1, 2])
    rate = compare(before, after).complaint_rate.pilot
    assert rate.change == pytest.approx(0.3 / 0.5 - 1)  # −40 %
    assert rate.std_error == pytest.approx(math.sqrt(1 / 50 - 1 / 100 + 1 / 24 - 1 / 80))


def test_difference_in_differences_nets_out_the_control_change() -> None:
    pilot_before, pilot_after = _sample(6, 300, 150, [9, 9, 36, 36]), _sample(6, 240, 72, [3, 3, 12, 12])
    control_before, control_after = _sample(6, 600, 300, [9, 36]), _sample(6, 660, 330, [9, 36])
    result = compare(pilot_before, pilot_after, control_before, control_after)
    assert result.has_control
    volume = result.volume
    assert volume.pilot.change == pytest.approx(-0.2)
    assert volume.control is not None
    assert volume.control.change == pytest.approx(0.1)
    assert volume.did is not None
    assert volume.did.change == pytest.approx(0.8 / 1.1 - 1)
    assert volume.did.std_error == pytest.approx(math.sqrt(1 / 300 + 1 / 240 + 1 / 600 + 1 / 660))
    assert volume.effect is volume.did
    assert result.handling_time.effect.change == pytest.approx(-2 / 3)
    assert result.complaint_rate.effect.change == pytest.approx(-0.4)
    assert [m.measure for m in result.measures] == [Measure.HANDLING_TIME, Measure.VOLUME, Measure.COMPLAINT_RATE]


def test_without_a_control_the_effect_is_the_pilot_change() -> None:
    result = compare(_sample(6, 300, 150, [9, 36]), _sample(6, 240, 72, [3, 12]))
    assert not result.has_control
    for measure in result.measures:
        assert measure.control is None
        assert measure.did is None
        assert measure.effect is measure.pilot


def test_verdicts_say_down_up_or_unclear() -> None:
    assert Estimate(-1.0, 0.1, 0.95).verdict is Verdict.DOWN
    assert Estimate(0.5, 0.1, 0.95).verdict is Verdict.UP
    assert Estimate(-0.1, 0.1, 0.95).verdict is Verdict.UNCLEAR
    assert Estimate(-0.1, 0.1, 0.95).covers(0.0)
    assert Estimate(-0.1, 0.01, 0.95, df=3).verdict is Verdict.DOWN


def test_a_higher_level_widens_the_interval() -> None:
    before, after = _sample(6, 120, 60, [4, 16, 8]), _sample(6, 90, 30, [2, 8, 4])
    narrow, wide = compare(before, after, level=0.8).volume.pilot, compare(before, after, level=0.99).volume.pilot
    assert wide.low < narrow.low < narrow.change < narrow.high < wide.high


@pytest.mark.parametrize(
    ("after", "message"),
    [
        (Sample(3, 0, 0, 0, 0.0, 0.0), "pilot after: no cases"),
        (Sample(3, 10, 0, 5, 5.0, 9.0), "pilot after: no complaints"),
        (Sample(3, 10, 4, 1, 1.0, 1.0), "pilot after: fewer than two closed cases"),
        (Sample(0, 10, 4, 5, 5.0, 9.0), "pilot after: the period must last"),
        (Sample(3, 10, 11, 5, 5.0, 9.0), "pilot after: complaints and closed cases"),
        (Sample(3, 10, 4, 5, math.nan, 9.0), "pilot after: the sums of log hours"),
    ],
)
def test_empty_or_inconsistent_samples_are_refused_by_name(after: Sample, message: str) -> None:
    before = _sample(3, 20, 8, [1, 2, 3])
    with pytest.raises(NotEnoughDataError, match=message) as refused:
        compare(before, after)
    assert refused.value.status == 422


def test_a_control_needs_both_periods_and_a_level_in_range() -> None:
    sample = _sample(3, 20, 8, [1, 2, 3])
    with pytest.raises(NotEnoughDataError, match="both its before and its after"):
        compare(sample, sample, sample)
    with pytest.raises(NotEnoughDataError, match="confidence level"):
        compare(sample, sample, level=1.0)
    empty_control = Sample(3, 0, 0, 0, 0.0, 0.0)
    with pytest.raises(NotEnoughDataError, match="control after: no cases"):
        compare(sample, sample, sample, empty_control)


def test_pooled_areas_add_their_counts_over_the_same_months() -> None:
    a, b = _sample(5, 10, 4, [1, 2]), _sample(5, 30, 6, [4])
    pooled = pool([a, b])
    assert (pooled.months, pooled.cases, pooled.complaints, pooled.handled) == (5, 40, 10, 3)
    assert pooled.log_hours == pytest.approx(a.log_hours + b.log_hours)
    with pytest.raises(NotEnoughDataError, match="same months"):
        pool([a, _sample(4, 10, 4, [1, 2])])
    with pytest.raises(NotEnoughDataError, match="no samples"):
        pool([])


# The coverage simulation: datasets with known effects, drawn with numpy (exact sufficient statistics).
RUNS = 2000
EFFECTS = {Measure.VOLUME: -0.221, Measure.HANDLING_TIME: -0.667, Measure.COMPLAINT_RATE: -0.40}


def _simulated(rng: np.random.Generator, *, months: float, rate: float, share: float, mu: float) -> list[Sample]:
    """RUNS samples of one area and period: Poisson cases, binomial complaints, log-normal hours (σ = 0.9)."""
    sigma = 0.9
    cases = rng.poisson(rate * months, RUNS)
    complaints = rng.binomial(cases, share)
    handled = rng.binomial(cases, 0.95)
    n = np.maximum(handled, 2)
    mean = rng.normal(mu, sigma / np.sqrt(n))
    squares = sigma**2 * rng.chisquare(n - 1) + n * mean**2  # (n − 1)s² + n·mean²
    return [
        Sample(months, int(c), int(k), int(h), float(m * h), float(q))
        for c, k, h, m, q in zip(cases, complaints, n, mean, squares, strict=True)
    ]


def test_95_percent_intervals_cover_the_true_effects_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(20260701)
    log_effect = {measure: math.log1p(change) for measure, change in EFFECTS.items()}
    growth = 1.15  # everywhere: the control's trend, which the pilot shares (parallel trends)
    pilot_before = _simulated(rng, months=7, rate=40, share=0.5, mu=3.0)
    pilot_after = _simulated(
        rng,
        months=5,
        rate=40 * growth * math.exp(log_effect[Measure.VOLUME]),
        share=0.5 * math.exp(log_effect[Measure.COMPLAINT_RATE]),
        mu=3.0 + math.log(growth) + log_effect[Measure.HANDLING_TIME],
    )
    control_before = _simulated(rng, months=7, rate=30, share=0.45, mu=3.2)
    control_after = _simulated(rng, months=5, rate=30 * growth, share=0.45, mu=3.2 + math.log(growth))
    covered = dict.fromkeys(EFFECTS, 0)
    covered_without_control = 0
    for samples in zip(pilot_before, pilot_after, control_before, control_after, strict=True):
        result = compare(*samples)
        for measure in result.measures:
            covered[measure.measure] += measure.effect.covers(EFFECTS[measure.measure])
        # Without the control, the handling time's change includes the shared trend.
        alone = compare(samples[0], samples[1]).handling_time.pilot
        covered_without_control += alone.covers(growth * (1 + EFFECTS[Measure.HANDLING_TIME]) - 1)
    for measure, hits in covered.items():
        assert 0.93 <= hits / RUNS <= 0.97, (measure, hits / RUNS)
    assert 0.93 <= covered_without_control / RUNS <= 0.97
