"""The labelled synthetic panel: its base rate, lead times, seasons, gaps, and one panel per seed."""

from __future__ import annotations

import numpy as np
import pytest

from zhili.core.months import Month
from zhili.early_warning.indicators import Indicator
from zhili.early_warning.industries import INDEX
from zhili.early_warning.seasons import SPRING_FESTIVAL, holiday_share, pay_settlement_month
from zhili.early_warning.synthetic import CORE_SEVEN, SyntheticPanel, SyntheticParams, generate
from zhili.org import credit_code

PARAMS = SyntheticParams(firms=6000, months=36)


@pytest.fixture(scope="module")
def synthetic() -> SyntheticPanel:
    return generate(PARAMS, seed=11)


def test_about_one_and_a_half_percent_of_firms_fall_into_arrears_a_year(synthetic: SyntheticPanel) -> None:
    years = (PARAMS.months - PARAMS.history + PARAMS.horizon) / 12
    rate = (synthetic.arrears_month >= 0).mean() / years
    assert 0.01 <= rate <= 0.02


def test_arrears_months_and_lead_times_lie_in_range(synthetic: SyntheticPanel) -> None:
    hit = synthetic.arrears_month >= 0
    assert (synthetic.arrears_month[hit] >= PARAMS.history).all()
    assert (synthetic.arrears_month[hit] < PARAMS.months + PARAMS.horizon).all()
    leads = synthetic.lead_months[hit]
    assert set(np.unique(leads)) == set(range(1, 9))
    assert (synthetic.lead_months[~hit] == -1).all()


def test_distressed_firms_show_precursors_before_their_month(synthetic: SyntheticPanel) -> None:
    panel = synthetic.panel
    rows = np.flatnonzero((synthetic.lead_months >= 4) & (synthetic.arrears_month < PARAMS.months))
    paid = panel.values[Indicator.WAGES_PAID] / panel.values[Indicator.WAGES_DUE]
    before = paid[rows, synthetic.arrears_month[rows] - 1]
    a_year_before = paid[rows, synthetic.arrears_month[rows] - 12]
    assert np.nanmedian(before) < np.nanmedian(a_year_before)
    complaints = panel.values[Indicator.COMPLAINTS]
    assert np.nanmean(complaints[rows, synthetic.arrears_month[rows]]) > 10 * np.nanmean(complaints)


def test_one_seed_gives_one_panel() -> None:
    small = SyntheticParams(firms=300, months=24)
    first, again, other = generate(small, 5), generate(small, 5), generate(small, 6)
    for indicator in Indicator:
        assert np.array_equal(first.panel.values[indicator], again.panel.values[indicator], equal_nan=True)
    assert np.array_equal(first.arrears_month, again.arrears_month)
    assert not np.array_equal(
        first.panel.values[Indicator.ELECTRICITY_KWH], other.panel.values[Indicator.ELECTRICITY_KWH], equal_nan=True
    )


def test_feeds_have_gaps_and_late_months(synthetic: SyntheticPanel) -> None:
    electricity = synthetic.panel.values[Indicator.ELECTRICITY_KWH]
    missing = np.isnan(electricity).mean(axis=0)
    assert 0.005 < missing[:-2].mean() < 0.02
    assert missing[-1] > missing[:-2].mean()  # late feeds: the last month is the emptiest


def test_factories_dip_at_the_spring_festival(synthetic: SyntheticPanel) -> None:
    panel = synthetic.panel
    factories = panel.industries == INDEX["C"]
    shops = panel.industries == INDEX["F"]
    february = Month.of(2024, 2) - panel.first  # the 2024 festival fell on 10 February
    electricity = panel.values[Indicator.ELECTRICITY_KWH]
    dip = np.nanmedian(electricity[factories, february] / electricity[factories, february + 2])
    assert dip < 0.6
    assert np.nanmedian(electricity[shops, february] / electricity[shops, february + 2]) > 1


def test_the_festival_table_and_shares() -> None:
    assert min(d.month for d in SPRING_FESTIVAL.values()) == 1
    assert max(d.month for d in SPRING_FESTIVAL.values()) == 2
    assert holiday_share(Month.of(2024, 2)) > holiday_share(Month.of(2024, 1))
    assert holiday_share(Month.of(2023, 1)) > holiday_share(Month.of(2023, 2))
    assert holiday_share(Month.of(2024, 6)) == 0
    assert pay_settlement_month(2026) == Month.of(2026, 1)


def test_the_register_facts_are_usable(synthetic: SyntheticPanel) -> None:
    codes = synthetic.credit_codes()
    assert len(set(codes)) == PARAMS.firms
    assert all(credit_code.is_valid(code) for code in codes[:200])
    assert {code[2:8] for code in codes} <= {"330802", "330803", "330822", "330824", "330825", "330881"}
    assert (synthetic.headcount >= 1).all()
    assert set(np.unique(synthetic.size_class)) <= set(range(len(synthetic.size_names)))


def test_a_subset_of_indicators_can_be_drawn() -> None:
    synthetic = generate(SyntheticParams(firms=50, months=14, indicators=CORE_SEVEN), 1)
    assert set(synthetic.panel.values) == set(CORE_SEVEN)
    assert synthetic.panel.values[Indicator.SI_HEADCOUNT].shape == (50, 14)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="months"):
        SyntheticParams(months=6)
    with pytest.raises(ValueError, match="lead_months"):
        SyntheticParams(lead_months=(3, 1))
