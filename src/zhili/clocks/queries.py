"""Reads of the official calendar: the years known and their basis, a year's days, the unknown years ahead."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
from chinese_calendar.constants import Holiday
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from zhili.clocks.calendar import CHINA, Basis, WorkCalendar, library_knows, unknown_years
from zhili.clocks.models import OfficialDay, OfficialYear
from zhili.clocks.overrides import calendar_for
from zhili.clocks.schedule import MAX_YEAR, MIN_YEAR, DayKind
from zhili.clocks.schemas import CalendarYears, OfficialDayRead, YearDays, YearSummary
from zhili.core.auth import Actor
from zhili.core.errors import NotFoundError

HORIZON_DAYS = 60
"""Administrators and the centres are warned once the coming days reach a year the calendar does not know."""


def library_range() -> tuple[int, int]:
    """The first and last year the holiday library knows."""
    known = [year for year in range(MIN_YEAR, MAX_YEAR + 1) if library_knows(year)]
    return known[0], known[-1]


def unknown_years_ahead(session: Session, now: datetime, days: int = HORIZON_DAYS) -> list[int]:
    """The years from today to `days` ahead (local dates) that neither a loaded schedule nor the library knows."""
    today = now.astimezone(CHINA).date()
    return unknown_years(calendar_for(session, None), today, today + timedelta(days=days))


def years_overview(session: Session, actor: Actor, *, now: datetime) -> CalendarYears:
    """The loaded years and the years around today, with their basis (administrators only)."""
    actor.require_admin("see the official calendar")
    calendar = calendar_for(session, None)
    today = now.astimezone(CHINA).date()
    loaded = _loaded_summaries(session)
    shown = sorted(set(loaded) | set(range(today.year - 1, today.year + 3)))
    first, last = library_range()
    return CalendarYears(
        years=[loaded.get(year) or _summary(calendar, year) for year in shown],
        library_first=first,
        library_last=last,
        unknown_ahead=unknown_years(calendar, today, today + timedelta(days=HORIZON_DAYS)),
        horizon_days=HORIZON_DAYS,
    )


def year_days(session: Session, actor: Actor, year: int) -> YearDays:
    """A year's holidays and make-up working days, from its loaded schedule or the library (administrators only)."""
    actor.require_admin("see the official calendar")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise NotFoundError(f"no calendar for {year}")
    loaded = _loaded_summaries(session, year)
    if year in loaded:
        rows = session.execute(
            select(OfficialDay.day, OfficialDay.kind, OfficialDay.name)
            .where(OfficialDay.year == year)
            .order_by(OfficialDay.day)
        )
        days = [OfficialDayRead(day=row.day, kind=row.kind, name=row.name) for row in rows]
        return YearDays(summary=loaded[year], days=days)
    calendar = calendar_for(session, None)
    return YearDays(summary=_summary(calendar, year), days=library_days(year))


def library_days(year: int) -> list[OfficialDayRead]:
    """The library's holidays (by their Chinese names) and make-up working days of a year; none if it lacks it."""
    if not library_knows(year):
        return []
    found: list[OfficialDayRead] = []
    day = date(year, 1, 1)
    while day.year == year:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
        if name is not None and (is_holiday or day.weekday() < 5):  # noqa: PLR2004 - Saturday is 5
            found.append(OfficialDayRead(day=day, kind=DayKind.HOLIDAY, name=Holiday(name).chinese))
        elif not is_holiday and day.weekday() >= 5:  # noqa: PLR2004
            found.append(OfficialDayRead(day=day, kind=DayKind.WORKDAY, name=""))
        day += timedelta(days=1)
    return found


def _summary(calendar: WorkCalendar, year: int) -> YearSummary:
    basis = calendar.basis(year)
    if basis is not Basis.LIBRARY:
        return YearSummary(year=year, basis=Basis.UNKNOWN.value)
    days = library_days(year)
    return YearSummary(
        year=year,
        basis=basis.value,
        source=f"chinesecalendar {chinese_calendar.__version__}",
        holiday_days=sum(d.kind == DayKind.HOLIDAY for d in days),
        workdays=sum(d.kind == DayKind.WORKDAY for d in days),
    )


def _loaded_summaries(session: Session, year: int | None = None) -> dict[int, YearSummary]:
    counts = (
        select(
            OfficialDay.year,
            func.sum(case((OfficialDay.kind == DayKind.HOLIDAY, 1), else_=0)).label("holidays"),
            func.count().label("days"),
        )
        .group_by(OfficialDay.year)
        .subquery()
    )
    stmt = select(OfficialYear, counts.c.holidays, counts.c.days).outerjoin(counts, counts.c.year == OfficialYear.year)
    if year is not None:
        stmt = stmt.where(OfficialYear.year == year)
    return {
        row.year: YearSummary(
            year=row.year,
            basis=Basis.LOADED.value,
            source=row.source,
            loaded_at=row.loaded_at,
            loaded_by=row.loaded_by,
            holiday_days=int(holidays or 0),
            workdays=int(days or 0) - int(holidays or 0),
        )
        for row, holidays, days in session.execute(stmt)
    }
