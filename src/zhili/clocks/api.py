"""The work calendar API: the official years (administrators), a county's month, and its local overrides.

The `/years` routes come first: `years` is not a county code.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query

from zhili.clocks import official, overrides, queries
from zhili.clocks.schedule import MAX_YEAR, MIN_YEAR
from zhili.clocks.schemas import CalendarMonth, CalendarYears, OverrideSet, YearDays
from zhili.core.auth import CurrentActor
from zhili.core.db import commit
from zhili.core.http import ClockDep, DbSession

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])
County = Annotated[str, Path(pattern=r"^\d{6}$", description="a county's division code, e.g. 330802")]
Year = Annotated[int, Path(ge=MIN_YEAR, le=MAX_YEAR, description="a year, e.g. 2027")]
EXAMPLE = {
    "year": 2027,
    "source": "国务院办公厅关于2027年部分节假日安排的通知",
    "holidays": [{"name": "元旦", "start": "2027-01-01", "end": "2027-01-03"}],
    "workdays": [],
}
Schedule = Annotated[
    dict[str, Any],
    Body(
        description="the year's schedule: {year, source, holidays: [{name, start, end}], workdays}", examples=[EXAMPLE]
    ),
]


@router.get("/years")
def calendar_years(session: DbSession, actor: CurrentActor, clock: ClockDep) -> CalendarYears:
    """The years the official calendar knows (loaded, library) and the unknown years ahead (administrators)."""
    return queries.years_overview(session, actor, now=clock.now())


@router.get("/years/{year}")
def calendar_year(year: Year, session: DbSession, actor: CurrentActor) -> YearDays:
    """A year's holidays and make-up working days, and where they come from (administrators)."""
    return queries.year_days(session, actor, year)


@router.put("/years/{year}")
def load_calendar_year(
    year: Year, schedule: Schedule, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> YearDays:
    """Load (or replace) a year's official schedule for the whole country (administrators; audited)."""
    official.load(session, given=schedule, year=year, actor=actor, clock=clock)
    return queries.year_days(session, actor, year)


@router.get("/{county}")
def calendar_month(
    county: County,
    session: DbSession,
    _actor: CurrentActor,
    month: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")],
) -> CalendarMonth:
    """Working days of a month in a county: official holidays, make-up days and the county's overrides."""
    overrides.require_county(session, county)
    year, number = (int(part) for part in month.split("-"))
    return overrides.month_of(session, county, date(year, number, 1))


@router.put("/{county}/{on}")
def set_override(
    county: County, on: date, body: OverrideSet, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> CalendarMonth:
    """Open or close the county's offices on one day (administrators and the county centre may)."""
    overrides.set_override(
        session,
        county_code=county,
        on=on,
        is_workday=body.is_workday,
        reason=body.reason,
        actor=actor,
        now=clock.now(),
    )
    commit(session)
    return overrides.month_of(session, county, on)
