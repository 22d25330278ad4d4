"""The monthly report of an area: its KPIs against the month before and a year before, ranked, and trends.

An area is a county (its townships ranked) or the city (its counties ranked); the report also lists
its matters and units and the twelve-month trend.

`monthly_report` gathers the figures once (`analytics.report.kpi_report`, within the reader's scope);
`monthly_page.html` shows them, `monthly_files` writes the XLSX workbook, `monthly_pdf` the printable PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from zhili.analytics.comparing import PilotComparison, compare_pilot
from zhili.analytics.facts import CHINA
from zhili.analytics.kpis import KpiFilter, Totals
from zhili.analytics.pilots import list_pilots
from zhili.analytics.report import KpiReport, KpiRow, check_area, default_area, kpi_report, trend
from zhili.assessment import queries as assessment
from zhili.assessment.period import Month as AssessmentMonth
from zhili.assessment.scoring import DEPARTMENT, TOWNSHIP, SubjectScore
from zhili.core.auth import Actor
from zhili.core.errors import DomainError
from zhili.core.months import Month
from zhili.org.division_code import DivisionCode, DivisionLevel

TREND_MONTHS = 12


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    """One area's month in figures."""

    month: Month
    area: str | None
    area_label: str
    this: KpiReport
    previous: Totals
    last_year: Totals
    trend: list[KpiRow]
    pilots: list[PilotComparison]  # the area's pilots, compared up to the report's month
    standings: dict[str, list[SubjectScore]]  # 四维考评 of a county's townships and departments, by level
    made_at: datetime

    @property
    def ranking(self) -> list[KpiRow]:
        """The areas one level down, best on-time rate first (then the busiest)."""
        return sorted(self.this.by_area, key=lambda row: (-(row.totals.on_time_rate or 0.0), -row.totals.volume))


def monthly_report(
    session: Session, actor: Actor, *, month: Month, area: str | None, now: datetime, language: str = "zh"
) -> MonthlyReport:
    """The report of `area` (default: the reader's own) for `month`; an area beyond their scope or unknown: 404."""
    if area is not None:
        check_area(session, actor, area)
    chosen = area if area is not None else default_area(actor)
    this = kpi_report(session, actor, KpiFilter(first=month, last=month, division=chosen), language=language)
    # One monthly read gives the trend, the month before and the same month a year before.
    months = trend(session, actor, KpiFilter(first=Month(month.index - 12), last=month, division=chosen))
    following = month + 1
    month_end = datetime(following.year, following.month, 1, tzinfo=CHINA)  # the report's month is the last full one
    in_area = [p for p in list_pilots(session, actor) if chosen is None or p.area.startswith(chosen)]
    compared = [compare_pilot(session, actor, p, now=month_end) for p in in_area if p.start <= month]
    return MonthlyReport(
        month=month,
        area=chosen,
        area_label=this.area_label,
        this=this,
        previous=months[-2].totals,
        last_year=months[0].totals,
        trend=months[-TREND_MONTHS:],
        pilots=compared,
        standings=_standings(session, actor, chosen, month, now),
        made_at=now,
    )


DIMENSIONS = ("timeliness", "quality", "satisfaction", "cross")


def _standings(
    session: Session, actor: Actor, area: str | None, month: Month, now: datetime
) -> dict[str, list[SubjectScore]]:
    """The assessment's rankings of a county's townships and departments in the month (none for other areas)."""
    code = DivisionCode.parse(area)
    if code is None or code.level is not DivisionLevel.COUNTY:
        return {}
    period = AssessmentMonth(month.year, month.month)
    found: dict[str, list[SubjectScore]] = {}
    for level in (TOWNSHIP, DEPARTMENT):
        try:
            found[level] = assessment.ranking(
                session, actor, county=code.value, month=period, level=level, now=now
            ).rows
        except DomainError:  # the reader may not read the county's ranking: the report leaves it out
            continue
    return found
