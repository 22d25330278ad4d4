"""The KPI report of an area and a period: totals, the monthly trend and tables by matter, area and unit.

One function, `kpi_report`, gathers what the KPI page, its exports, the API and the monthly report
show, with every key given its label (matter, division and unit names). The area defaults to the
top of the reader's blocks (the city for an administrator) and the period to the last twelve months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from zhili.analytics.facts import CHINA, month_of
from zhili.analytics.kpis import By, KpiFilter, Totals, add_up, totals
from zhili.analytics.projector import refreshed_at
from zhili.analytics.visibility import may_read_area, own_units, require_area
from zhili.campaigns.tasks.queries import TaskRates, task_rates
from zhili.core.auth import Actor
from zhili.core.errors import InvalidInputError, NotFoundError
from zhili.core.months import Month
from zhili.early_warning.lead_time import LeadTime
from zhili.early_warning.queries import warning_counts, warning_lead_time
from zhili.matters import queries as matters
from zhili.org import queries as org
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.schemas import DivisionRef

DEFAULT_MONTHS = 12


@dataclass(frozen=True, slots=True)
class KpiRow:
    """One line of a KPI table: its key, its label and its totals."""

    key: str
    label: str
    totals: Totals


@dataclass(frozen=True, slots=True)
class KpiReport:
    """Everything a KPI page shows for one filter."""

    kpi_filter: KpiFilter
    area_label: str
    matter_label: str | None
    unit_label: str | None
    total: Totals
    trend: list[KpiRow]
    by_matter: list[KpiRow]
    by_area: list[KpiRow]
    by_unit: list[KpiRow]
    area_level: str  # what `by_area` lists: county or township
    refreshed_at: datetime | None
    tasks: TaskRates  # campaign tasks sent in the period
    warnings: tuple[int, int, int]  # wage-arrears warnings in the period: issued, checked, right
    warning_lead: LeadTime  # how long before the harm the period's warnings later confirmed came
    counted_units: list[str]  # a department's reader counts its own units' cases only: their names (else none)

    @property
    def warning_precision(self) -> float | None:
        """预警准确率: right among the checked."""
        _, checked, right = self.warnings
        return right / checked if checked else None


def default_area(actor: Actor) -> str | None:
    """The top of the actor's blocks when there is one (None: the whole city)."""
    prefixes = actor.scope.division_prefixes
    roots = {p for p in prefixes if p}
    if actor.scope.is_everything or not roots:
        return None
    return min(roots, key=len) if len(roots) == 1 else _common(roots)


def _common(codes: set[str]) -> str | None:
    """The nearest division containing all these codes (None when only the province or city does)."""
    parsed = [DivisionCode(code) for code in codes]
    first = parsed[0]
    for ancestor in reversed(first.lineage):
        if all(code.under(ancestor) for code in parsed) and ancestor.level.depth >= DivisionLevel.COUNTY.depth:
            return ancestor.value
    return None


AREA_LEVELS: Final = frozenset({DivisionLevel.CITY, DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP})
"""The levels the figures are counted at: an area is one of them."""


def check_area(session: Session, actor: Actor, code: str) -> None:
    """404 unless an area asked for is the reader's own or a known division in their scope; 422 below a township.

    The reader's own area (`default_area`) may be the nearest division holding several of their
    blocks without lying inside one; the page offers it, so it is always read. Unknown and unseen
    areas are refused alike.
    """
    if code == default_area(actor):
        return
    parsed = DivisionCode.parse(code)
    if parsed is None or parsed.level not in AREA_LEVELS:
        message = f"area {code} is not a city, county or township"
        raise InvalidInputError(message)
    require_area(actor, code)
    if not org.division_names(session, [code]):
        message = f"area {code} not found"
        raise NotFoundError(message)


def areas_offered(session: Session, actor: Actor, area: str | None) -> list[DivisionRef]:
    """The areas one level below `area` (the city's counties for None) the reader may open, none below a township."""
    return [
        child
        for child in org.child_divisions(session, area)
        if DivisionLevel(child.level) in AREA_LEVELS and may_read_area(actor, child.code)
    ]


def counted_unit_names(session: Session, actor: Actor) -> list[str]:
    """The names of the only units whose cases the reader counts (a department's staff); none for a block's reader."""
    return sorted(org.department_names(session, own_units(actor)).values())


def default_filter(actor: Actor, now: datetime) -> KpiFilter:
    """The last twelve months, up to this one, over the actor's area."""
    last = month_of(now)
    return KpiFilter(first=Month(last.index - DEFAULT_MONTHS + 1), last=last, division=default_area(actor))


def kpi_report(session: Session, actor: Actor, kpi_filter: KpiFilter, *, language: str = "zh") -> KpiReport:
    """The KPIs of a filter within the actor's reach, labelled (matters by their name in `language`)."""
    area = kpi_filter.division
    by_area = By.COUNTY if area is None or len(area) < DivisionLevel.COUNTY.length else By.TOWNSHIP
    rows = {by: totals(session, actor, kpi_filter, by) for by in (By.MONTH, By.MATTER, by_area, By.UNIT)}
    matter_names = {m.code: m.name_en if language == "en" else m.name_zh for m in matters.list_current(session)}
    area_names = org.division_names(session, [str(key) for key, _ in rows[by_area]] + ([area] if area else []))
    unit_names = org.department_names(session, [int(key) for key, _ in rows[By.UNIT]] + _ids(kpi_filter.unit_id))
    trend = _trend(kpi_filter, dict(rows[By.MONTH]))
    return KpiReport(
        kpi_filter=kpi_filter,
        area_label=area_names.get(area, area) if area else _city_name(session),
        matter_label=matter_names.get(kpi_filter.matter, kpi_filter.matter) if kpi_filter.matter else None,
        unit_label=unit_names.get(kpi_filter.unit_id) if kpi_filter.unit_id is not None else None,
        total=add_up(rows[By.MONTH]),
        trend=trend,
        by_matter=_labelled(rows[By.MATTER], matter_names),
        by_area=_labelled(rows[by_area], area_names),
        by_unit=_labelled(rows[By.UNIT], {str(k): v for k, v in unit_names.items()}),
        area_level=by_area.value,
        refreshed_at=refreshed_at(session),
        tasks=task_rates(
            session, actor, since=_start(kpi_filter.first), until=_start(kpi_filter.last + 1), division=area
        ),
        warnings=warning_counts(session, actor, first=kpi_filter.first, last=kpi_filter.last, division=area),
        warning_lead=warning_lead_time(session, actor, first=kpi_filter.first, last=kpi_filter.last, division=area),
        counted_units=counted_unit_names(session, actor),
    )


def _start(month: Month) -> datetime:
    """The first instant of a month in Quzhou's time."""
    return datetime(month.year, month.month, 1, tzinfo=CHINA)


def area_name(session: Session, area: str | None) -> str:
    """An area's name; the city's for None."""
    if area is None:
        return _city_name(session)
    return org.division_names(session, [area]).get(area, area)


def _city_name(session: Session) -> str:
    top = org.city(session)
    return top.name if top else ""


def _ids(unit_id: int | None) -> list[int]:
    return [] if unit_id is None else [unit_id]


def trend(session: Session, actor: Actor, kpi_filter: KpiFilter) -> list[KpiRow]:
    """Every month of the filter's period with its totals (one grouped read), empty months included."""
    return _trend(kpi_filter, dict(totals(session, actor, kpi_filter, By.MONTH)))


def _trend(kpi_filter: KpiFilter, by_month: dict[Any, Totals]) -> list[KpiRow]:
    """Every month of the period, empty months included."""
    months = [Month(index) for index in range(kpi_filter.first.index, kpi_filter.last.index + 1)]
    return [KpiRow(key=str(m), label=str(m), totals=by_month.get(m.index, Totals())) for m in months]


def _labelled(rows: list[tuple[Any, Totals]], names: dict[str, str]) -> list[KpiRow]:
    """Rows with their labels, the busiest first."""
    labelled = [KpiRow(key=str(key), label=names.get(str(key), str(key)), totals=t) for key, t in rows]
    return sorted(labelled, key=lambda row: (-row.totals.volume, row.key))
