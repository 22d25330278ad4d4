"""The seasons the synthetic panel follows: the Spring Festival holiday, summer cooling, year-end pay. Pure.

The Spring Festival (春节) moves between late January and mid February; factories and building sites
empty for about a month around it as migrant workers go home, while shops and restaurants are busiest.
The month a holiday mostly falls in is where the dip shows, so a firm's January and February swap
roles from one year to the next: the reason "the same month last year" alone is not a baseline.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt

from zhili.core.months import Month

SPRING_FESTIVAL: Final[dict[int, date]] = {
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}
HOLIDAY_BEFORE: Final = 10  # days before the festival that workers leave
HOLIDAY_AFTER: Final = 15  # days after it until work is back to normal


def _days_in(month: Month) -> int:
    return ((month + 1).first_day - month.first_day).days


def holiday_share(month: Month) -> float:
    """The share of `month`'s days inside the Spring Festival holiday (0 outside January to March)."""
    festival = SPRING_FESTIVAL.get(month.year)
    if festival is None:
        msg = f"no Spring Festival date for {month.year}; add it to seasons.SPRING_FESTIVAL"
        raise ValueError(msg)
    start, stop = festival - timedelta(days=HOLIDAY_BEFORE), festival + timedelta(days=HOLIDAY_AFTER)
    first, last = month.first_day, (month + 1).first_day
    overlap = (min(stop, last) - max(start, first)).days
    return max(overlap, 0) / _days_in(month)


def holiday_shares(first: Month, months: int) -> npt.NDArray[np.float32]:
    """`holiday_share` of each of `months` months from `first`."""
    return np.array([holiday_share(first + offset) for offset in range(months)], dtype=np.float32)


def pay_settlement_month(year: int) -> Month:
    """The month building sites settle the year's wages: the one holding the day 20 days before the festival."""
    return Month.containing(SPRING_FESTIVAL[year] - timedelta(days=20))


def summer(first: Month, months: int) -> npt.NDArray[np.float32]:
    """1 in July and August (cooling load), 0.5 in June and September, else 0."""
    weight = {6: 0.5, 7: 1.0, 8: 1.0, 9: 0.5}
    return np.array([weight.get((first + offset).month, 0.0) for offset in range(months)], dtype=np.float32)


def settlement_months(first: Month, months: int) -> npt.NDArray[np.bool_]:
    """Which of `months` months from `first` are pay settlement months (`pay_settlement_month`)."""
    settle = np.zeros(months, dtype=bool)
    for year in range(first.year, first.year + months // 12 + 2):
        column = pay_settlement_month(year) - first
        if 0 <= column < months:
            settle[column] = True
    return settle
