"""The official years loaded by administrators: load one (validated, audited), and read them back.

A loaded year outranks the holiday library for that whole year: its holidays are closed, its
make-up days open, every other day is Monday to Friday. The loaded years are cached per process for
`CACHE_SECONDS`, so a load in another process is seen within that time; a load in this process is
seen at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from zhili.clocks.models import OfficialDay, OfficialYear
from zhili.clocks.schedule import DayKind, ScheduleError, YearSchedule, parse_schedule, validate_schedule
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import InvalidInputError

CACHE_SECONDS = 60.0
"""A year loaded in another process is used within this time."""

Loaded = Mapping[int, Mapping[date, bool]]

_cache: list[tuple[float, Loaded]] = []
_lock = threading.Lock()


def loaded_years(session: Session) -> Loaded:
    """Per loaded year, its days that differ from Monday–Friday (holiday False, make-up day True)."""
    with _lock:
        found = _cache[0] if _cache else None
    if found and time.monotonic() - found[0] < CACHE_SECONDS:
        return found[1]
    years: dict[int, dict[date, bool]] = {year: {} for year in session.scalars(select(OfficialYear.year))}
    for row in session.execute(select(OfficialDay.year, OfficialDay.day, OfficialDay.kind)):
        years.setdefault(row.year, {})[row.day] = row.kind == DayKind.WORKDAY
    loaded: Loaded = MappingProxyType({year: MappingProxyType(days) for year, days in years.items()})
    with _lock:
        _cache[:] = [(time.monotonic(), loaded)]
    return loaded


def forget_loaded() -> None:
    """Drop the cached years (after a load, and between tests)."""
    with _lock:
        _cache.clear()


def schedule_from_text(text: str) -> YearSchedule:
    """A schedule file's text, validated; 422 naming every problem."""
    try:
        return parse_schedule(text)
    except ScheduleError as exc:
        raise _invalid(exc) from exc


def schedule_from_data(raw: object, *, year: int | None = None) -> YearSchedule:
    """A schedule given as data (the API's JSON body), validated; its year must be `year` when given."""
    try:
        schedule = validate_schedule(raw)
    except ScheduleError as exc:
        raise _invalid(exc) from exc
    if year is not None and schedule.year != year:
        problem = {"field": "year", "kind": "year_mismatch", "message": f"must be {year}, the year in the address"}
        raise InvalidInputError(f"year: {problem['message']}", errors=[problem])
    return schedule


def _invalid(exc: ScheduleError) -> InvalidInputError:
    errors = [{"field": p.field, "kind": p.kind, "message": p.message} for p in exc.problems]
    return InvalidInputError(f"the schedule has {len(errors)} problem(s): {exc}", errors=errors)


def load(session: Session, *, given: str | object, year: int | None, actor: Actor, clock: Clock) -> OfficialYear:
    """Check and load a schedule given as file text or as data (its year must be `year` when given).

    Administrators only: anyone else is refused (403) before the schedule is read.
    """
    actor.require_admin("load the official calendar")
    schedule = schedule_from_text(given) if isinstance(given, str) else schedule_from_data(given, year=year)
    if year is not None and isinstance(given, str) and schedule.year != year:
        schedule_from_data(schedule.as_dict(), year=year)  # the same refusal as for data
    return load_year(session, schedule=schedule, actor=actor, clock=clock)


def load_year(session: Session, *, schedule: YearSchedule, actor: Actor, clock: Clock) -> OfficialYear:
    """Store a year's official schedule, replacing any loaded before; audited in the same transaction."""
    actor.require_admin("load the official calendar")
    now = clock.now()
    row = session.get(OfficialYear, schedule.year)
    before = _summary(row, session) if row else None
    session.execute(delete(OfficialDay).where(OfficialDay.year == schedule.year))
    if row is None:
        row = OfficialYear(year=schedule.year)
        session.add(row)
    row.source, row.content_hash = schedule.source, schedule.content_hash()
    row.loaded_at, row.loaded_by = now, actor.audit_name
    session.flush()
    days = [{"day": day, "year": schedule.year, "kind": kind, "name": name} for day, kind, name in schedule.days()]
    if days:
        session.execute(insert(OfficialDay), days)
    audit.record_by(
        session,
        actor,
        "calendar.year.loaded",
        entity_type="calendar_year",
        entity_id=schedule.year,
        at=now,
        before=before,
        after=_summary(row, session),
    )
    commit(session)
    forget_loaded()
    return row


def _summary(row: OfficialYear, session: Session) -> dict[str, Any]:
    kinds = list(session.scalars(select(OfficialDay.kind).where(OfficialDay.year == row.year)))
    return {
        "source": row.source,
        "content_hash": row.content_hash,
        "holiday_days": kinds.count(DayKind.HOLIDAY),
        "workdays": kinds.count(DayKind.WORKDAY),
        "loaded_at": row.loaded_at.isoformat() if isinstance(row.loaded_at, datetime) else None,
        "loaded_by": row.loaded_by,
    }
