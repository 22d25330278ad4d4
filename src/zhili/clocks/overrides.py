"""County calendars: the official calendar (loaded years, then the library) plus county overrides, cached."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.clocks.calendar import WorkCalendar
from zhili.clocks.models import CalendarOverride
from zhili.clocks.official import Loaded, forget_loaded, loaded_years
from zhili.clocks.schemas import CalendarDay, CalendarMonth
from zhili.core.audit import AuditEntry, record
from zhili.core.auth import Actor
from zhili.core.errors import ForbiddenError, NotFoundError
from zhili.org.models import Division
from zhili.org.roles import Role

CACHE_SECONDS = 60.0
"""A county's override edited in another process is seen within this time."""

_cache: dict[str, tuple[float, Mapping[date, bool]]] = {}
_lock = threading.Lock()


def calendar_for(session: Session, county_code: str | None) -> WorkCalendar:
    """The work calendar of a county (the official one, with the loaded years, when it has no overrides)."""
    loaded = loaded_years(session)
    if not county_code:
        return _calendar(None, _NO_OVERRIDES, loaded)
    with _lock:
        found = _cache.get(county_code)
    if found and time.monotonic() - found[0] < CACHE_SECONDS:
        return _calendar(county_code, found[1], loaded)
    rows = session.execute(
        select(CalendarOverride.on, CalendarOverride.is_workday).where(CalendarOverride.division_code == county_code)
    ).all()
    days: Mapping[date, bool] = MappingProxyType({row.on: row.is_workday for row in rows})
    with _lock:
        _cache[county_code] = (time.monotonic(), days)
    return _calendar(county_code, days, loaded)


_NO_OVERRIDES: Mapping[date, bool] = MappingProxyType({})
_calendars: dict[str | None, WorkCalendar] = {}


def _calendar(county_code: str | None, overrides: Mapping[date, bool], loaded: Loaded) -> WorkCalendar:
    """The county's calendar made of these days; the same object while they are the same (its days stay worked out)."""
    found = _calendars.get(county_code)
    if found is not None and found.overrides is overrides and found.loaded is loaded:
        return found
    made = _calendars[county_code] = WorkCalendar(overrides=overrides, loaded=loaded)
    return made


def forget_cached() -> None:
    """Drop every cached calendar and loaded year (after an override changes, and between tests)."""
    with _lock:
        _cache.clear()
    _calendars.clear()
    forget_loaded()


def require_county(session: Session, county_code: str) -> None:
    """404 unless the code names a county."""
    level = session.scalar(select(Division.level).where(Division.code == county_code))
    if level != "county":
        raise NotFoundError(f"county {county_code} not found")


def set_override(
    session: Session, *, county_code: str, on: date, is_workday: bool, reason: str, actor: Actor, now: datetime
) -> CalendarOverride:
    """Open or close a county's offices on one day; recorded in the audit chain."""
    require_county(session, county_code)
    may = actor.is_admin or (actor.has_any_role([Role.CENTRE_STAFF]) and actor.write_scope.reaches_place(county_code))
    if not may:
        raise ForbiddenError(
            f"only administrators and the centre of {county_code} may change its calendar",
            message_key="forbidden.calendar",
        )
    row = session.get(CalendarOverride, (county_code, on))
    before = {"is_workday": row.is_workday, "reason": row.reason} if row else None
    if row is None:
        row = CalendarOverride(division_code=county_code, on=on, is_workday=is_workday, reason=reason)
        session.add(row)
    else:
        row.is_workday, row.reason = is_workday, reason
    record(
        session,
        AuditEntry(
            actor=actor.audit_name,
            role=actor.audit_role,
            action="calendar.override",
            entity_type="calendar",
            entity_id=f"{county_code}:{on.isoformat()}",
            before=before,
            after={"is_workday": is_workday, "reason": reason},
        ),
        at=now,
    )
    forget_cached()
    return row


def month_of(session: Session, county_code: str, first: date) -> CalendarMonth:
    """The days of one month of a county's calendar."""
    calendar = calendar_for(session, county_code)
    rows = session.execute(
        select(CalendarOverride.on, CalendarOverride.reason).where(CalendarOverride.division_code == county_code)
    )
    reasons = {row.on: row.reason for row in rows}
    days = []
    day = first.replace(day=1)
    while day.month == first.month:
        days.append(
            CalendarDay(
                on=day, is_workday=calendar.is_workday(day), is_override=day in reasons, reason=reasons.get(day)
            )
        )
        day += timedelta(days=1)
    return CalendarMonth(
        county_code=county_code,
        month=f"{first:%Y-%m}",
        working_days=sum(d.is_workday for d in days),
        days=days,
    )
