"""Small hand-made panels for the detector tests: a few firms, a few indicators, values chosen per test."""

from __future__ import annotations

import numpy as np

from zhili.core.months import Month
from zhili.early_warning.indicators import Indicator
from zhili.early_warning.industries import INDEX
from zhili.early_warning.panel import Panel

FIRST = Month.of(2024, 1)


def flat_panel(firms: int = 40, months: int = 24, level: float = 1000.0, seed: int = 0, **extra: float) -> Panel:
    """Firms with steady electricity, headcount, tax and wages (a little noise), in manufacturing and retail.

    `extra` adds indicators held at a constant value (e.g. `si_arrears=0.0`).
    """
    rng = np.random.default_rng(seed)

    def steady(base: float) -> np.ndarray:
        return (base * rng.lognormal(0, 0.03, (firms, months))).astype(np.float32)

    values = {
        Indicator.ELECTRICITY_KWH: steady(level),
        Indicator.SI_HEADCOUNT: np.full((firms, months), 20.0, dtype=np.float32),
        Indicator.TAX_DECLARED: steady(level / 2),
        Indicator.WAGES_DUE: np.full((firms, months), 100_000.0, dtype=np.float32),
        Indicator.WAGES_PAID: np.full((firms, months), 100_000.0, dtype=np.float32),
    }
    for name, value in extra.items():
        values[Indicator(name)] = np.full((firms, months), value, dtype=np.float32)
    industries = np.where(np.arange(firms) % 2 == 0, INDEX["C"], INDEX["F"]).astype(np.int16)
    return Panel(firm_ids=np.arange(1, firms + 1, dtype=np.int64), industries=industries, first=FIRST, values=values)
