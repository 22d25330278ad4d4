"""The monthly indicator values of the synthetic firms, time-major `[months, firms]`. Pure.

Levels come from headcount and the industry's per-head figures; seasons, harmless dips and the
distress of firms drifting into arrears multiply them; arrears amounts accumulate month by month once
a distressed firm passes its own onset; counts (legal events, complaints) are Poisson.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from zhili.early_warning.indicators import Indicator
from zhili.early_warning.industries import INDEX
from zhili.early_warning.panel import float32 as f32
from zhili.early_warning.synthetic_firms import PRECURSORS, Dips, Distress, Firms, trade_column

F32 = npt.NDArray[np.float32]
_CONSTRUCTION = INDEX["E"]


@dataclass(frozen=True, slots=True)
class _Story:
    """Distress seen per precursor: strength `[firms]` and whether an arrears-type precursor has begun."""

    distress: Distress

    def strength(self, name: str) -> F32:
        index = PRECURSORS.index(name)
        return np.where(self.distress.shows[index], self.distress.severity, np.float32(0)).astype(np.float32)

    def months_behind(self, name: str, delay: float = 0.0) -> F32:
        """Months in arrears so far: months since the firm's progress passed this precursor's onset."""
        index = PRECURSORS.index(name)
        begun = (self.distress.progress >= self.distress.onset[index] + delay) & self.distress.shows[index]
        return f32(np.cumsum(begun, axis=0, dtype=np.float32) * begun)


def _staff(rng: np.random.Generator, firms: Firms, dips: Dips, story: _Story, shape: tuple[int, int]) -> F32:
    walk = np.exp(np.cumsum(rng.normal(0, 0.015, shape), axis=0)).astype(np.float32)
    leaving = 1 - 0.45 * story.strength("headcount") * story.distress.progress
    return (firms.headcount * walk * dips.headcount * leaving).astype(np.float32)


def _usage(rng: np.random.Generator, firms: Firms, seasons: tuple[F32, F32], noise: float) -> tuple[F32, F32]:
    """Season factors `[months, firms]` of usage (electricity) and the noise draw."""
    holiday, summer = seasons
    depth = trade_column(firms, "holiday_depth") * rng.uniform(0.6, 1.4, firms.trade.size).astype(np.float32)
    season = np.clip(1 - 1.1 * depth * holiday[:, None], 0.1, None) * (1 + 0.15 * summer[:, None])
    return season.astype(np.float32), rng.lognormal(0, noise, (holiday.size, firms.trade.size)).astype(np.float32)


def _pay_ratio(firms: Firms, story: _Story, settle: npt.NDArray[np.bool_]) -> F32:
    """Wages paid / due: 1, building firms 0.8 with the rest settled before the festival, less in distress."""
    months = settle.size
    since = np.zeros(months, dtype=np.float32)
    for column in range(1, months):
        since[column] = 1 if settle[column - 1] else since[column - 1] + 1
    building = firms.industry == _CONSTRUCTION
    usual = np.where(building, np.where(settle[:, None], 1 + 0.2 * since[:, None], 0.8), 1.0)
    shrink = 1 - 0.6 * story.strength("pay") * story.distress.progress**2
    arrears = story.distress.arrears
    after = (np.arange(months)[:, None] >= arrears) & (arrears >= 0)
    return f32(usual * shrink * np.where(after, 0.3, 1.0))


def build_values(
    rng: np.random.Generator,
    firms: Firms,
    distress: Distress,
    dips: Dips,
    *,
    seasons: tuple[F32, F32],
    settle: npt.NDArray[np.bool_],
    month_of_year: npt.NDArray[np.intp],
    noise: float,
    background: float,
) -> dict[Indicator, F32]:
    """Every indicator, time-major; NaN nowhere yet (the feeds blank months afterwards)."""
    shape = (settle.size, firms.trade.size)
    story = _Story(distress)
    progress = distress.progress
    staff = _staff(rng, firms, dips, story, shape)
    season, jitter = _usage(rng, firms, seasons, noise)
    falling = 1 - 0.7 * story.strength("usage") * progress
    electricity = staff * trade_column(firms, "kwh") * firms.intensity * season * dips.usage * falling * jitter
    water_noise = rng.lognormal(0, 1.5 * noise, shape).astype(np.float32)
    water = staff * trade_column(firms, "water") * np.sqrt(firms.intensity * season) * dips.usage**0.7
    water = water * falling**0.8 * water_noise
    payroll = np.rint(staff)
    insured = np.rint(staff * firms.insured_share * (1 - 0.25 * story.strength("headcount") * progress))
    wage = trade_column(firms, "wage") * rng.lognormal(0, 0.2, shape[1]).astype(np.float32)
    due = payroll * wage * (1 + 0.4 * settle[:, None]) * rng.lognormal(0, 0.03, shape).astype(np.float32)
    tax = _tax(rng, firms, dips=dips, story=story, base=(staff, season), month_of_year=month_of_year, noise=noise)
    late = rng.random(shape) < background
    delay = firms.pay_day + rng.normal(0, 2, shape) + 45 * story.strength("pay") * progress**1.5 + 25 * late
    delay = delay + 10 * (firms.industry == _CONSTRUCTION)
    values = {
        Indicator.ELECTRICITY_KWH: electricity,
        Indicator.WATER_M3: water,
        Indicator.PAYROLL_HEADCOUNT: payroll,
        Indicator.SI_HEADCOUNT: insured,
        Indicator.WAGES_DUE: due,
        Indicator.WAGES_PAID: due * _pay_ratio(firms, story, settle),
        Indicator.PAY_DELAY_DAYS: np.maximum(np.rint(delay), 0),
        Indicator.TAX_DECLARED: tax,
    }
    values |= _arrears(rng, story, (insured * wage * 0.3, electricity * 0.75, water * 4.0, tax), background)
    values |= _events(rng, story, background)
    return {indicator: np.asarray(array, dtype=np.float32) for indicator, array in values.items()}


def _tax(
    rng: np.random.Generator,
    firms: Firms,
    *,
    dips: Dips,
    story: _Story,
    base: tuple[F32, F32],
    month_of_year: npt.NDArray[np.intp],
    noise: float,
) -> F32:
    staff, season = base
    shape = staff.shape
    tax = f32(staff * trade_column(firms, "tax") * firms.intensity * season**0.7 * dips.tax)
    tax = f32(tax * (1 - story.strength("tax") * story.distress.progress) * rng.lognormal(0, 2 * noise, shape))
    stops = (rng.random(shape[1]) < 0.5) & (story.strength("tax") > 0) & (story.distress.progress > 0.7)  # noqa: PLR2004
    quarter_start = (month_of_year % 3 == 0)[:, None]
    tax = np.where(firms.quarterly_tax, np.where(quarter_start, 3 * tax, 0), tax)
    return np.where(stops, 0, tax).astype(np.float32)


def _arrears(
    rng: np.random.Generator, story: _Story, monthly: tuple[F32, F32, F32, F32], background: float
) -> dict[Indicator, F32]:
    """Amounts overdue at each month's end: months behind × the monthly amount, plus one-off late bills."""
    contributions, power_bill, water_bill, tax = monthly
    shape = contributions.shape
    typical_tax = np.mean(tax, axis=0)

    def one_off(rate: float) -> F32:
        return (rng.random(shape) < rate).astype(np.float32)

    return {
        Indicator.SI_ARREARS: contributions * (story.months_behind("si_arrears") + one_off(background / 2)),
        Indicator.ELECTRICITY_ARREARS: power_bill * (story.months_behind("bill_arrears") + one_off(background)),
        Indicator.WATER_ARREARS: water_bill * (story.months_behind("bill_arrears", 0.05) + one_off(background)),
        Indicator.TAX_ARREARS: typical_tax * (story.months_behind("tax_arrears") + one_off(background / 2)),
    }


def _events(rng: np.random.Generator, story: _Story, background: float) -> dict[Indicator, F32]:
    """Legal events and complaints: rare at random, rising with distress, frequent once wages are owed."""
    progress = story.distress.progress
    arrears = story.distress.arrears
    after = (np.arange(progress.shape[0])[:, None] >= arrears) & (arrears >= 0)
    legal = background / 2 + 0.5 * story.strength("legal") * progress**2
    complaints = background + 0.9 * story.strength("complaints") * progress**3 + 1.5 * after
    return {
        Indicator.LEGAL_EVENTS: rng.poisson(legal).astype(np.float32),
        Indicator.COMPLAINTS: rng.poisson(complaints).astype(np.float32),
    }
