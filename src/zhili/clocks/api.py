"""The work calendar API: a county's month, and its local overrides (administrators and the county centre)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from zhili.clocks import overrides
from zhili.clocks.schemas import CalendarMonth, OverrideSet
from zhili.core.auth import CurrentActor
from zhili.core.db import commit
from zhili.core.http import ClockDep, DbSession

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])
County = Annotated[str, Path(pattern=r"^\d{6}$", description="a county's division code, e.g. 330802")]


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
