"""KPIs: sums of the summary cells over a period, an area, a matter or a unit, and the rates made from them.

`totals` runs one `SELECT sum(...) ... GROUP BY` over `kpi_cells`, inside the reader's scope, and
returns `Totals` (the additive sums); `Totals` derives every rate, the mean handling time and the
median and 90th percentile from the histogram. Nothing here reads the case tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from zhili.analytics.facts import percentile
from zhili.analytics.models import BUCKET_COLUMNS, MEASURES, SUMS, kpi_cells
from zhili.analytics.visibility import visible_cells
from zhili.core.auth import Actor
from zhili.core.months import Month

c = kpi_cells.c
ZERO_HISTOGRAM: Final = (0,) * len(BUCKET_COLUMNS)
MEASURE_NAMES: Final = frozenset(MEASURES)


class By(StrEnum):
    """What a KPI table is broken down by."""

    MONTH = "month"
    COUNTY = "county"
    TOWNSHIP = "township"
    MATTER = "matter"
    UNIT = "unit"


KEYS: Final = {
    By.MONTH: c.month,
    By.COUNTY: c.county_code,
    By.TOWNSHIP: c.township_code,
    By.MATTER: c.matter_code,
    By.UNIT: c.unit_id,
}


@dataclass(frozen=True, slots=True)
class KpiFilter:
    """The cells to sum: a period of months, and optionally an area (any code above a grid), a matter, a unit."""

    first: Month
    last: Month
    division: str | None = None
    matter: str | None = None
    unit_id: int | None = None
    areas: tuple[str, ...] = ()  # several areas pooled (a pilot's controls), beside or instead of `division`

    def conditions(self) -> list[ColumnElement[bool]]:
        """The filter as SQL conditions on `kpi_cells`."""
        found = [c.month >= self.first.index, c.month <= self.last.index]
        if self.division:
            found.append(_in_area(self.division))
        if self.areas:
            found.append(or_(*(_in_area(area) for area in self.areas)))
        if self.matter:
            found.append(c.matter_code == self.matter)
        if self.unit_id is not None:
            found.append(c.unit_id == self.unit_id)
        return found

    @property
    def months(self) -> int:
        """How many months the period spans."""
        return self.last.index - self.first.index + 1


@dataclass(frozen=True, slots=True)
class Totals:
    """The additive sums of some cells, and the KPIs made from them."""

    counts: dict[str, int] = field(default_factory=dict)
    sums: dict[str, float] = field(default_factory=dict)
    histogram: tuple[int, ...] = ZERO_HISTOGRAM

    def __getitem__(self, name: str) -> int:
        """A measure's count (0 where no cell counted it); a KeyError for any other name.

        A KPI such as `volume` is a property made from the measures, not one of them: asked for by
        name, it is an error, never a silent 0 (Jinja's `map(attribute=...)` tries `[name]` first).
        """
        if name not in MEASURE_NAMES:
            raise KeyError(name)
        return self.counts.get(name, 0)

    def __add__(self, other: Totals) -> Totals:
        """The totals of both (every measure is additive)."""
        return Totals(
            counts={name: self[name] + other[name] for name in MEASURES},
            sums={name: self.sums.get(name, 0.0) + other.sums.get(name, 0.0) for name in SUMS},
            histogram=tuple(a + b for a, b in zip(self.histogram, other.histogram, strict=True)),
        )

    @property
    def volume(self) -> int:
        """Cases reported (受理量), rejected reports included."""
        return self["reported"]

    @property
    def valid(self) -> int:
        """Cases that were not rejected as invalid."""
        return self["reported"] - self["rejected"]

    @property
    def closure_rate(self) -> float | None:
        """办结率: closed among the valid cases."""
        return _share(self["closed"], self.valid)

    @property
    def on_time_rate(self) -> float | None:
        """按期办结率: closed on time among the closed."""
        return _share(self["on_time"], self["closed"])

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率: satisfied among the rated."""
        return _share(self["satisfied"], self["rated"])

    @property
    def complaint_rate(self) -> float | None:
        """投诉率: reported by citizens among all cases."""
        return _share(self["complaints"], self.volume)

    @property
    def reopen_rate(self) -> float | None:
        """重办率: reopened among the closed."""
        return _share(self["reopened"], self["closed"])

    @property
    def mean_hours(self) -> float | None:
        """Average handling time (report → close), in hours."""
        return self.sums.get("hours_sum", 0.0) / self["closed"] if self["closed"] else None

    @property
    def median_hours(self) -> float | None:
        """Median handling time, from the histogram."""
        return percentile(list(self.histogram), 0.5)

    @property
    def p90_hours(self) -> float | None:
        """90th-percentile handling time, from the histogram."""
        return percentile(list(self.histogram), 0.9)

    @property
    def geometric_mean_hours(self) -> float | None:
        """The geometric mean handling time (what before/after compares)."""
        return math.exp(self.sums.get("log_hours_sum", 0.0) / self["closed"]) if self["closed"] else None


SUMS_OF_CELLS: Final = tuple(func.coalesce(func.sum(c[name]), 0) for name in (*MEASURES, *SUMS, *BUCKET_COLUMNS))
"""Built once: a request would otherwise build these 52 expressions for every query."""


def add_up(rows: Sequence[tuple[Any, Totals]]) -> Totals:
    """The sum of some rows' totals."""
    found = Totals()
    for _, row in rows:
        found += row
    return found


def _in_area(code: str) -> ColumnElement[bool]:
    """Cells in a city or a county (by the county's code) or a township (by its own)."""
    column = c.county_code if len(code) <= 6 else c.township_code  # noqa: PLR2004 - county codes
    return column.startswith(code, autoescape=True)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def totals(session: Session, actor: Actor, kpi_filter: KpiFilter, by: By | None = None) -> list[tuple[Any, Totals]]:
    """The totals of the cells in the actor's reach that pass the filter, per key of `by` (one row when None)."""
    key = KEYS[by] if by is not None else None
    stmt = select(*([key] if key is not None else []), *SUMS_OF_CELLS).where(
        and_(visible_cells(actor), *kpi_filter.conditions())
    )
    if key is not None:
        stmt = stmt.group_by(key).order_by(key)
    return [_totals_of(row, with_key=key is not None) for row in session.execute(stmt)]


def _totals_of(row: Sequence[Any], *, with_key: bool) -> tuple[Any, Totals]:
    values = list(row)
    head = values.pop(0) if with_key else None
    counts = {name: int(values[i]) for i, name in enumerate(MEASURES)}
    offset = len(MEASURES)
    sums = {name: float(values[offset + i]) for i, name in enumerate(SUMS)}
    histogram = tuple(int(v) for v in values[offset + len(SUMS) :])
    return head, Totals(counts=counts, sums=sums, histogram=histogram)


def total(session: Session, actor: Actor, kpi_filter: KpiFilter) -> Totals:
    """The totals of everything the filter selects."""
    return totals(session, actor, kpi_filter)[0][1]


def months_with_data(session: Session) -> tuple[Month, Month] | None:
    """The first and last month any cell counts."""
    first, last = session.execute(select(func.min(c.month), func.max(c.month))).one()
    return None if first is None else (Month(int(first)), Month(int(last)))
