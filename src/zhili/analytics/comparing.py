"""A pilot compared from the record: its area and its controls, before and after its start, summed from cells.

The after period runs from the pilot's first month to the last full month; the before period is as
long (at most twelve months) and ends the month before the start. Each (area, period) is summed from
the KPI cells into a `before_after.Sample`; `before_after.compare` gives each measure's change with
its interval and, with controls, the difference in differences. Monthly series feed the chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session

from zhili.analytics.before_after import Comparison, NotEnoughDataError, Sample, compare
from zhili.analytics.facts import month_of
from zhili.analytics.kpis import By, KpiFilter, Totals, add_up, totals
from zhili.analytics.pilots import Pilot
from zhili.core.auth import Actor
from zhili.core.months import Month
from zhili.org import queries as org

MAX_BEFORE: Final = 12


@dataclass(frozen=True, slots=True)
class Series:
    """One area group's months: volume, geometric-mean handling hours, complaint rate."""

    volume: list[int]
    hours: list[float | None]
    complaint_rate: list[float | None]


@dataclass(frozen=True, slots=True)
class PilotComparison:
    """What the comparison page shows."""

    pilot: Pilot
    area_label: str
    control_labels: list[str]
    before: tuple[Month, Month]
    after: tuple[Month, Month]
    comparison: Comparison | None
    problem: str | None  # why there is no comparison (too few cases), in words
    months: list[str]
    pilot_series: Series
    control_series: Series | None


def periods(start: Month, now: datetime) -> tuple[tuple[Month, Month], tuple[Month, Month]]:
    """The before and after periods of a pilot started in `start`, as of `now`."""
    last_full = Month(month_of(now).index - 1)
    after = (start, max(start, last_full))
    length = min(MAX_BEFORE, after[1].index - after[0].index + 1)
    return (Month(start.index - length), Month(start.index - 1)), after


def compare_pilot(session: Session, actor: Actor, pilot: Pilot, *, now: datetime) -> PilotComparison:
    """The pilot's comparison within the reader's scope."""
    before, after = periods(pilot.start, now)
    areas = [pilot.area]
    by_month = _monthly(session, actor, pilot, areas, first=before[0], last=after[1])
    controls = None
    if pilot.controls:
        controls = _monthly(session, actor, pilot, list(pilot.controls), first=before[0], last=after[1])
    names = org.division_names(session, [pilot.area, *pilot.controls])
    comparison, problem = None, None
    try:
        comparison = compare(
            _sample(by_month, before),
            _sample(by_month, after),
            _sample(controls, before) if controls is not None else None,
            _sample(controls, after) if controls is not None else None,
        )
    except NotEnoughDataError as error:
        problem = str(error)
    months = [Month(i) for i in range(before[0].index, after[1].index + 1)]
    return PilotComparison(
        pilot=pilot,
        area_label=names.get(pilot.area, pilot.area),
        control_labels=[names.get(c, c) for c in pilot.controls],
        before=before,
        after=after,
        comparison=comparison,
        problem=problem,
        months=[str(m) for m in months],
        pilot_series=_series(by_month, months),
        control_series=_series(controls, months) if controls is not None else None,
    )


def _monthly(
    session: Session, actor: Actor, pilot: Pilot, areas: list[str], *, first: Month, last: Month
) -> dict[int, Totals]:
    """The areas' totals per month, pooled (one grouped read)."""
    kpi_filter = KpiFilter(first=first, last=last, matter=pilot.matter, areas=tuple(areas))
    return {int(month): row for month, row in totals(session, actor, kpi_filter, By.MONTH)}


def _sample(by_month: dict[int, Totals], period: tuple[Month, Month]) -> Sample:
    rows = [(m, t) for m, t in by_month.items() if period[0].index <= m <= period[1].index]
    t = add_up(rows)
    return Sample(
        months=float(period[1].index - period[0].index + 1),
        cases=t.volume,
        complaints=t["complaints"],
        handled=t["closed"],
        log_hours=t.sums.get("log_hours_sum", 0.0),
        log_hours_sq=t.sums.get("log_hours_sq_sum", 0.0),
    )


def _series(by_month: dict[int, Totals], months: list[Month]) -> Series:
    rows = [by_month.get(m.index, Totals()) for m in months]
    return Series(
        volume=[t.volume for t in rows],
        hours=[round(h, 2) if (h := t.geometric_mean_hours) is not None else None for t in rows],
        complaint_rate=[None if t.complaint_rate is None else round(t.complaint_rate * 100, 1) for t in rows],
    )


__all__ = ["PilotComparison", "Series", "compare_pilot", "periods"]
