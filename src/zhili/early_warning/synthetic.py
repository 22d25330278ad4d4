"""A labelled synthetic panel of Quzhou firms for testing and benchmarking the early-warning detectors. Pure.

What it simulates (docs/reference/early-warning.md has the full account):
- firms of Quzhou's industry mix and size classes, with per-head levels of electricity, water, tax and
  wages by industry, a slow random walk of headcount and month-to-month noise;
- seasons: the Spring Festival holiday (its dates from `seasons.SPRING_FESTIVAL`: factories and sites
  dip, shops and restaurants rise), summer cooling, a year-end bonus, and building firms that pay
  about 80 % of wages monthly and settle the rest before the festival;
- harmless dips that look like distress on one or two indicators: seasonal firms with a 3-month off
  season, shutdowns, relocations and order slumps; quarterly tax declarers; background late bills,
  complaints and penalties;
- firms drifting into wage arrears (the label: the arrears month): from 1 to 8 months before it, each
  shows some of the precursors (usage falls, staff leave and are uninsured, tax falls or stops, pay
  shrinks and is late, social-insurance, utility and tax arrears, legal events, complaints), rising
  with noise as the month nears;
- feeds: a department's month missing at random, and for some firms the last one or two months of
  one department not delivered yet (a late feed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from zhili.core.months import Month
from zhili.early_warning.indicators import Indicator
from zhili.early_warning.panel import Panel
from zhili.early_warning.seasons import holiday_shares, settlement_months, summer
from zhili.early_warning.synthetic_firms import (
    SIZE_CLASSES,
    Dips,
    Distress,
    DistressParams,
    Firms,
    draw_dips,
    draw_distress,
    draw_firms,
)
from zhili.early_warning.synthetic_values import build_values
from zhili.org import credit_code

F32 = npt.NDArray[np.float32]
# the department feeds and the indicators each delivers (a missing month blanks all of them)
FEEDS: Final[dict[str, tuple[Indicator, ...]]] = {
    "electricity": (Indicator.ELECTRICITY_KWH, Indicator.ELECTRICITY_ARREARS),
    "water": (Indicator.WATER_M3, Indicator.WATER_ARREARS),
    "payroll": (Indicator.PAYROLL_HEADCOUNT, Indicator.WAGES_DUE, Indicator.WAGES_PAID, Indicator.PAY_DELAY_DAYS),
    "tax": (Indicator.TAX_DECLARED, Indicator.TAX_ARREARS),
    "social_insurance": (Indicator.SI_HEADCOUNT, Indicator.SI_ARREARS),
    "court_credit": (Indicator.LEGAL_EVENTS,),
    "complaints": (Indicator.COMPLAINTS,),
}
FIRST_MONTH: Final = Month.of(2022, 1)
CORE_SEVEN: Final = (
    Indicator.ELECTRICITY_KWH,
    Indicator.SI_HEADCOUNT,
    Indicator.TAX_DECLARED,
    Indicator.WAGES_DUE,
    Indicator.WAGES_PAID,
    Indicator.SI_ARREARS,
    Indicator.COMPLAINTS,
)


@dataclass(frozen=True, slots=True)
class SyntheticParams:
    """Everything the generator draws from, besides the seed; printed by the benchmark."""

    firms: int = 20_000
    months: int = 48
    first: Month = FIRST_MONTH
    arrears_per_year: float = 0.015  # share of firms falling into wage arrears a year
    lead_months: tuple[int, int] = (1, 8)  # months of precursors before the arrears month, uniform
    precursor_chance: float = 0.65  # chance that a distressed firm shows each precursor (at least two shown)
    noise: float = 0.12  # month-to-month log noise of usage (tax has twice, water 1.5 times)
    harmless_per_year: float = 0.08  # one-off harmless dips a firm a year
    seasonal_share: float = 0.05  # firms with their own 3-month off-season
    missing_rate: float = 0.01  # chance a department's month is missing
    late_share: float = 0.05  # firms whose last 1-2 months of one department are not delivered yet
    background_rate: float = 0.004  # harmless late bill, complaint or penalty, per firm and month
    indicators: tuple[Indicator, ...] = tuple(Indicator)
    history: int = 12  # no arrears month in the first year (the detectors' own-history window)
    horizon: int = 3  # arrears months may lie this far past the panel's end

    def __post_init__(self) -> None:
        if self.firms < 1 or self.months < self.history + 1:
            msg = f"need at least 1 firm and more than {self.history} months; got {self.firms} x {self.months}"
            raise ValueError(msg)
        if not 1 <= self.lead_months[0] <= self.lead_months[1]:
            msg = f"lead_months must be 1 <= low <= high, got {self.lead_months}"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class SyntheticPanel:
    """The panel with its ground truth and the register facts the lead needs to build firms from it."""

    params: SyntheticParams
    seed: int
    panel: Panel
    arrears_month: npt.NDArray[np.int32]  # [firms] panel column of the arrears month, -1 none (may be >= months)
    lead_months: npt.NDArray[np.int8]  # [firms] months of precursors before it, -1 none
    size_class: npt.NDArray[np.int8]  # [firms] position in SIZE_CLASSES
    headcount: npt.NDArray[np.int32]  # [firms] staff at the start
    registered_capital: npt.NDArray[np.float64]  # [firms] 10,000 yuan
    division: npt.NDArray[np.str_]  # [firms] county-level division code (6 digits)
    seasonal: npt.NDArray[np.bool_]  # [firms] has its own off-season (harmless)
    harmless_dips: npt.NDArray[np.int16]  # [firms] one-off harmless dips drawn

    @property
    def size_names(self) -> tuple[str, ...]:
        """Names of the size classes (`size_class` indexes it)."""
        return SIZE_CLASSES

    def arrears_on(self, row: int) -> Month | None:
        """The arrears month of the firm in `row`, or None."""
        column = int(self.arrears_month[row])
        return None if column < 0 else self.panel.first + column

    def credit_codes(self) -> list[str]:
        """A valid, unique unified social credit code per firm (registered in its division)."""
        step = 7919  # coprime with 10**8: distinct organisation numbers for up to 10**8 firms
        offset = self.seed % 10**8
        return [
            credit_code.compose("9", "1", str(division), f"{(offset + row * step) % 10**8:08d}")
            for row, division in enumerate(self.division)
        ]


def _blank_feeds(rng: np.random.Generator, values: dict[Indicator, F32], params: SyntheticParams) -> None:
    """Missing months at random, and the late feeds at the end (NaN, in place, time-major)."""
    months, firms = params.months, params.firms
    for indicators in FEEDS.values():
        missing = rng.random((months, firms)) < params.missing_rate
        late = rng.random(firms) < params.late_share / len(FEEDS)
        depth = rng.integers(1, 3, firms)
        missing |= (np.arange(months)[:, None] >= months - depth) & late
        for indicator in indicators:
            if indicator in values:
                values[indicator][missing] = np.nan


def generate(params: SyntheticParams, seed: int) -> SyntheticPanel:
    """A labelled panel drawn from `params` with `seed` (same inputs, same panel)."""
    rng = np.random.default_rng(seed)
    firms: Firms = draw_firms(rng, params.firms)
    distress: Distress = draw_distress(
        rng,
        params.firms,
        params.months,
        DistressParams(
            params.arrears_per_year, params.lead_months, params.precursor_chance, params.history, params.horizon
        ),
    )
    dips: Dips = draw_dips(
        rng, params.first.month - 1, (params.months, params.firms), params.harmless_per_year, params.seasonal_share
    )
    values = build_values(
        rng,
        firms,
        distress,
        dips,
        seasons=(holiday_shares(params.first, params.months), summer(params.first, params.months)),
        settle=settlement_months(params.first, params.months),
        month_of_year=(params.first.month - 1 + np.arange(params.months)) % 12,
        noise=params.noise,
        background=params.background_rate,
    )
    _blank_feeds(rng, values, params)
    panel = Panel(
        firm_ids=np.arange(1, params.firms + 1, dtype=np.int64),
        industries=firms.industry,
        first=params.first,
        values={indicator: np.ascontiguousarray(values[indicator].T) for indicator in params.indicators},
    )
    return SyntheticPanel(
        params=params,
        seed=seed,
        panel=panel,
        arrears_month=distress.arrears,
        lead_months=distress.lead,
        size_class=firms.size_class,
        headcount=firms.headcount.astype(np.int32),
        registered_capital=firms.registered_capital,
        division=firms.division,
        seasonal=dips.seasonal,
        harmless_dips=dips.events,
    )
