"""The firms of the synthetic panel: industry, size, levels, and the stories (distress, harmless dips). Pure.

Everything is drawn from one `numpy.random.Generator`, in a fixed order, so one seed gives one panel.
Arrays of months are time-major `[months, firms]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from zhili.early_warning.industries import INDEX
from zhili.early_warning.panel import float32

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Trade:
    """An industry's share of Quzhou's firms and its per-head monthly levels."""

    section: str
    share: float
    wage: float  # yuan a month
    kwh: float  # electricity a head, kWh a month
    water: float  # m³ a head a month
    tax: float  # yuan a head a month
    holiday_depth: float  # production lost over the whole Spring Festival holiday (negative: a busy season)


# Quzhou's mix: manufacturing (chemicals, paper, special steel, equipment) leads, then trade, building,
# catering, transport and services.
TRADES: Final[tuple[Trade, ...]] = (
    Trade("C", 0.30, 6000, 1500, 6.0, 900, 0.8),
    Trade("E", 0.12, 7000, 250, 4.0, 700, 0.9),
    Trade("F", 0.22, 4500, 350, 2.0, 600, -0.3),
    Trade("H", 0.10, 4200, 700, 8.0, 300, -0.2),
    Trade("G", 0.07, 6500, 300, 2.0, 500, 0.5),
    Trade("L", 0.07, 6000, 150, 1.5, 900, 0.4),
    Trade("O", 0.07, 4800, 250, 3.0, 250, 0.3),
    Trade("I", 0.03, 9000, 200, 1.5, 1500, 0.4),
    Trade("A", 0.02, 4000, 300, 20.0, 100, 0.3),
)
SIZE_CLASSES: Final = ("micro", "small", "medium", "large")
_SIZE_SHARE: Final = (0.68, 0.24, 0.07, 0.01)
_SIZE_HEADCOUNT: Final = (4.0, 22.0, 130.0, 700.0)  # median headcount of each class
# county-level divisions of 衢州市 and their share of firms
DIVISIONS: Final = (
    ("330802", 0.22),
    ("330803", 0.16),
    ("330822", 0.13),
    ("330824", 0.12),
    ("330825", 0.17),
    ("330881", 0.20),
)


@dataclass(frozen=True, slots=True)
class Firms:
    """Attributes of each firm, `[firms]`."""

    trade: npt.NDArray[np.intp]  # position in TRADES
    industry: npt.NDArray[np.int16]  # position in industries.CODES
    size_class: npt.NDArray[np.int8]
    headcount: npt.NDArray[np.float32]  # at the start
    insured_share: npt.NDArray[np.float32]  # share of staff with social insurance
    intensity: npt.NDArray[np.float32]  # firm factor on electricity, water and tax (lognormal)
    pay_day: npt.NDArray[np.float32]  # usual days from month end to pay
    quarterly_tax: npt.NDArray[np.bool_]  # declares tax in the first month of a quarter only
    registered_capital: npt.NDArray[np.float64]  # 10,000 yuan
    division: npt.NDArray[np.str_]


def draw_firms(rng: np.random.Generator, count: int) -> Firms:
    """`count` firms with Quzhou's mix of industries and sizes."""
    trade = rng.choice(len(TRADES), size=count, p=[t.share for t in TRADES])
    size_class = rng.choice(len(SIZE_CLASSES), size=count, p=_SIZE_SHARE).astype(np.int8)
    drawn = np.asarray(_SIZE_HEADCOUNT, dtype=np.float32)[size_class] * rng.lognormal(0, 0.45, count)
    headcount = float32(np.maximum(np.rint(drawn), 1))
    codes, shares = zip(*DIVISIONS, strict=True)
    return Firms(
        trade=trade,
        industry=np.array([INDEX[t.section] for t in TRADES], dtype=np.int16)[trade],
        size_class=size_class,
        headcount=headcount,
        insured_share=rng.uniform(0.7, 1.0, count).astype(np.float32),
        intensity=rng.lognormal(0, 0.4, count).astype(np.float32),
        pay_day=rng.uniform(5, 15, count).astype(np.float32),
        quarterly_tax=(size_class == 0) & (rng.random(count) < 0.3),  # noqa: PLR2004 - a third of micro firms
        registered_capital=np.round(headcount * rng.lognormal(2.3, 0.8, count), 1),
        division=np.asarray(codes)[rng.choice(len(codes), size=count, p=shares)],
    )


def trade_column(firms: Firms, field: str) -> F32:
    """A `Trade` field of each firm's industry, `[firms]`."""
    return np.array([getattr(t, field) for t in TRADES], dtype=np.float32)[firms.trade]


@dataclass(frozen=True, slots=True)
class Distress:
    """Firms drifting into wage arrears: the month (column) it happens, the lead, the precursors shown."""

    arrears: npt.NDArray[np.int32]  # column of the arrears month, -1 for none (may lie past the panel)
    lead: npt.NDArray[np.int8]  # months from the first precursor to the arrears month, -1 for none
    progress: F32  # [months, firms] 0 before the onset, rising to 1 at the arrears month, 1 after
    severity: F32  # [firms] 0.5-1
    shows: npt.NDArray[np.bool_]  # [precursors, firms] which precursors this firm shows
    onset: F32  # [precursors, firms] progress at which an arrears-type precursor starts


PRECURSORS: Final = (
    "usage",
    "headcount",
    "tax",
    "pay",
    "si_arrears",
    "bill_arrears",
    "tax_arrears",
    "legal",
    "complaints",
)


@dataclass(frozen=True, slots=True)
class DistressParams:
    """How many firms fall into arrears, how early they show it and how much of it."""

    per_year: float
    lead: tuple[int, int]
    precursor_chance: float
    history: int  # no arrears month before this column (the detectors need a year of history)
    horizon: int  # arrears months may lie this far past the panel (so its last months have labels)


def draw_distress(rng: np.random.Generator, count: int, months: int, params: DistressParams) -> Distress:
    """Which firms fall into arrears, when, and with which precursors."""
    span = months + params.horizon - params.history
    chance = 1 - (1 - params.per_year) ** (span / 12)
    hit = rng.random(count) < chance
    arrears = np.where(hit, rng.integers(params.history, months + params.horizon, count), -1).astype(np.int32)
    lead = np.where(hit, rng.integers(params.lead[0], params.lead[1] + 1, count), -1).astype(np.int8)
    column = np.arange(months, dtype=np.float32)[:, None]
    onset = (arrears - lead).astype(np.float32)
    progress = np.clip((column - onset + 1) / (np.maximum(lead, 0).astype(np.float32) + 1), 0, 1)
    progress = np.where(column >= arrears, np.float32(1), progress)
    progress = np.where(hit, progress, np.float32(0)).astype(np.float32)
    shows = rng.random((len(PRECURSORS), count)) < params.precursor_chance
    few = shows.sum(axis=0) < 2  # noqa: PLR2004 - every distressed firm shows at least two precursors
    shows[rng.integers(0, len(PRECURSORS), count), np.arange(count)] |= few
    shows[PRECURSORS.index("pay"), few] = True
    shows &= hit
    return Distress(
        arrears=arrears,
        lead=lead,
        progress=progress,
        severity=rng.uniform(0.5, 1.0, count).astype(np.float32),
        shows=shows,
        onset=rng.uniform(0.3, 0.8, (len(PRECURSORS), count)).astype(np.float32),
    )


@dataclass(frozen=True, slots=True)
class Dips:
    """Harmless factors `[months, firms]` on usage, headcount and tax (1 where nothing happens)."""

    usage: F32
    headcount: F32
    tax: F32
    seasonal: npt.NDArray[np.bool_]  # [firms] firms with their own off-season
    events: npt.NDArray[np.int16]  # [firms] one-off dips drawn (shutdowns, relocations, slumps)


# one-off harmless dips: (length range, usage, headcount, tax factors)
_DIP_KINDS: Final = (
    ((1, 2), 0.15, 1.0, 0.4),  # shutdown: maintenance or an environmental inspection
    ((1, 3), 0.05, 0.95, 0.9),  # relocation: the old meter stops, the new one starts later
    ((2, 5), 0.6, 0.9, 0.5),  # an order slump
)


def draw_dips(
    rng: np.random.Generator, first_month_of_year: int, shape: tuple[int, int], per_year: float, seasonal_share: float
) -> Dips:
    """Seasonal firms (a 3-month off-season every year) and one-off harmless dips."""
    months, count = shape
    usage, headcount, tax = (np.ones(shape, dtype=np.float32) for _ in range(3))
    seasonal = rng.random(count) < seasonal_share
    off_start = rng.integers(0, 12, count)
    month_of_year = (first_month_of_year + np.arange(months))[:, None] % 12
    off = seasonal & (((month_of_year - off_start) % 12) < 3)  # noqa: PLR2004 - a quarter off
    usage[off], headcount[off], tax[off] = 0.35, 0.6, 0.3
    events = rng.poisson(per_year * months / 12, count).astype(np.int16)
    firm = np.repeat(np.arange(count), events)
    kind = rng.integers(0, len(_DIP_KINDS), firm.size)
    start = rng.integers(0, months, firm.size)
    for index, ((shortest, longest), on_usage, on_headcount, on_tax) in enumerate(_DIP_KINDS):
        chosen = kind == index
        length = rng.integers(shortest, longest + 1, int(chosen.sum()))
        for offset in range(longest):
            take = offset < length
            rows, cols = start[chosen][take] + offset, firm[chosen][take]
            inside = rows < months
            for array, factor in ((usage, on_usage), (headcount, on_headcount), (tax, on_tax)):
                array[rows[inside], cols[inside]] = factor
    return Dips(usage, headcount, tax, seasonal, events)
