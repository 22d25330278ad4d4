"""My numbers on the home page: the KPIs of the area or unit I answer for, over the last twelve months.

Counted by `analytics` within the reader's scope, so a centre sees its county, a township itself and
a department its own cases. None for those whose scope reaches no KPI cell (village and grid posts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from zhili.analytics.kpis import By, Totals, add_up, totals
from zhili.analytics.report import default_filter
from zhili.core.auth import Actor
from zhili.core.months import Month


@dataclass(frozen=True, slots=True)
class MyNumbers:
    """Twelve months of my area or unit: the totals, this month, and the monthly trend."""

    year: Totals
    this_month: Totals
    months: list[str]
    volumes: list[int]
    on_time: list[float | None]


def my_numbers(session: Session, actor: Actor, *, now: datetime) -> MyNumbers | None:
    """The actor's KPIs, or None when nothing they can count was reported in twelve months."""
    kpi_filter = default_filter(actor, now)
    by_month = dict(totals(session, actor, kpi_filter, By.MONTH))
    year = add_up(list(by_month.items()))
    if not year.volume:
        return None
    months = [Month(index) for index in range(kpi_filter.first.index, kpi_filter.last.index + 1)]
    trend = [by_month.get(m.index, Totals()) for m in months]
    return MyNumbers(
        year=year,
        this_month=trend[-1],
        months=[str(m) for m in months],
        volumes=[t.volume for t in trend],
        on_time=[None if t.on_time_rate is None else round(t.on_time_rate * 100, 1) for t in trend],
    )
