"""The work calendar (工作日历): working days and office hours, and deadline arithmetic on them.

Pure: a `WorkCalendar` is a value, and every function takes plain values and returns plain values.
A day is decided by, in order: the county's overrides; the official schedule of its year loaded by
administrators (`clocks.official`); the maintained `chinese_calendar` package for the years it
knows; and Monday to Friday for a year neither knows, a year whose `basis` is UNKNOWN. Every
deadline records the basis of the years it spans (`basis_between`, e.g. "2026:library,2027:unknown"),
so a deadline counted on a guess is marked. Three units of time limits:

- `working_days`: due at the close of office on the N-th working day after the start day;
- `working_hours`: N hours counted only inside office hours on working days;
- `hours`: N hours of the clock (urgent matters run day and night).

"Share of the limit used" measures elapsed time the way the limit counts it: office time for the
working units, clock time for `hours`. So a case reported on the eve of the Spring Festival does not
turn yellow while every office is closed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import cast

import chinese_calendar

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
OFFICE_HOURS: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))
_DAY = timedelta(days=1)
_MAX_DAYS = 20 * 366  # no limit reaches this far; it stops a runaway walk on a calendar with no working days


class LimitUnit(StrEnum):
    """How a time limit is counted."""

    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"
    HOURS = "hours"


class Basis(StrEnum):
    """Where a year's official working days come from."""

    LOADED = "loaded"  # a schedule loaded by administrators
    LIBRARY = "library"  # the chinese_calendar package
    UNKNOWN = "unknown"  # neither: Monday to Friday, a guess


class CalendarError(ValueError):
    """The calendar cannot answer (for example it has no working day at all)."""


@lru_cache(maxsize=512)
def library_knows(year: int) -> bool:
    """True when the chinese_calendar package holds the official schedule of this year."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=8192)
def is_official_workday(day: date) -> bool:
    """The State Council's calendar; outside the years the library knows, Monday to Friday."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5  # noqa: PLR2004 - Saturday is 5


@dataclass(frozen=True)
class WorkCalendar:
    """Working days (official calendar plus local overrides) and office hours, in China's time zone."""

    overrides: Mapping[date, bool] = field(default_factory=lambda: MappingProxyType({}))
    office_hours: tuple[tuple[time, time], ...] = OFFICE_HOURS
    loaded: Mapping[int, Mapping[date, bool]] = field(default_factory=lambda: MappingProxyType({}))
    """Official years loaded by administrators: per year, the days that are not Monday–Friday's default."""
    _hours: dict[date, tuple[tuple[datetime, datetime], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Each day's office intervals in UTC, found once per calendar (the clocks walk the same days again and again)."""

    def is_workday(self, day: date) -> bool:
        """True when offices open on this (local) day."""
        found = self.overrides.get(day)
        if found is not None:
            return found
        year = self.loaded.get(day.year)
        if year is not None:
            official = year.get(day)
            return day.weekday() < 5 if official is None else official  # noqa: PLR2004 - Saturday is 5
        return is_official_workday(day)

    def basis(self, year: int) -> Basis:
        """Where this year's official working days come from."""
        if year in self.loaded:
            return Basis.LOADED
        return Basis.LIBRARY if library_knows(year) else Basis.UNKNOWN

    def basis_between(self, start: datetime, end: datetime) -> str:
        """The basis of every (local) year from `start` to `end`: "2026:library,2027:unknown"."""
        first, last = sorted((start.astimezone(CHINA).year, end.astimezone(CHINA).year))
        return ",".join(f"{year}:{self.basis(year).value}" for year in range(first, last + 1))

    @property
    def office_seconds_per_day(self) -> float:
        """Length of one working day's office hours."""
        return sum(_seconds(start, end) for start, end in self.office_hours)

    def office_intervals(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Office intervals (aware, UTC) from `start` onwards, the first one clipped to `start`."""
        at = start.astimezone(UTC)
        day = start.astimezone(CHINA).date()
        for _ in range(_MAX_DAYS):
            for begin, end in self.office_hours_on(day):
                if end > at:
                    yield max(begin, at), end
            day += _DAY
        raise CalendarError("no working day within twenty years")

    def office_hours_on(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The (local) day's office intervals, aware and in UTC; none on a day off."""
        found = self._hours.get(day)
        if found is None:
            found = self._hours[day] = (
                tuple(
                    (
                        datetime.combine(day, opens, CHINA).astimezone(UTC),
                        datetime.combine(day, closes, CHINA).astimezone(UTC),
                    )
                    for opens, closes in self.office_hours
                )
                if self.is_workday(day)
                else ()
            )
        return found


def add_working_days(calendar: WorkCalendar, start: datetime, days: int) -> datetime:
    """Close of office on the `days`-th working day after the start's local day."""
    day = start.astimezone(CHINA).date()
    counted = 0
    for _ in range(_MAX_DAYS):
        day += _DAY
        if calendar.is_workday(day):
            counted += 1
            if counted >= days:
                return datetime.combine(day, calendar.office_hours[-1][1], CHINA).astimezone(UTC)
    raise CalendarError("no working day within twenty years")


def add_working_seconds(calendar: WorkCalendar, start: datetime, seconds: float) -> datetime:
    """The instant when `seconds` of office time have passed since `start`."""
    remaining = seconds
    for begin, end in calendar.office_intervals(start):
        length = (end - begin).total_seconds()
        if remaining <= length:
            return begin + timedelta(seconds=remaining)
        remaining -= length
    raise CalendarError("no working day within twenty years")  # pragma: no cover - the walk raises first


def working_seconds_between(calendar: WorkCalendar, start: datetime, end: datetime) -> float:
    """Office time between two instants (0 when `end` is not after `start`)."""
    total = 0.0
    if end <= start:
        return total
    for begin, close in calendar.office_intervals(start):
        if begin >= end:
            break
        total += (min(close, end) - begin).total_seconds()
    return total


def deadline(calendar: WorkCalendar, start: datetime, amount: float, unit: LimitUnit) -> datetime:
    """When a limit of `amount` `unit`s that started at `start` runs out."""
    if unit is LimitUnit.HOURS:
        return start + timedelta(hours=amount)
    if unit is LimitUnit.WORKING_HOURS:
        return add_working_seconds(calendar, start, amount * 3600)
    whole = math.floor(amount)
    due = add_working_days(calendar, start, whole) if whole else start
    part = amount - whole
    return add_working_seconds(calendar, due, part * calendar.office_seconds_per_day) if part else due


def extend(calendar: WorkCalendar, due: datetime, hours: int, unit: LimitUnit) -> datetime:
    """A deadline moved by a granted extension of `hours`.

    Extensions are asked for in hours; on a working-day limit every started 24 hours is one more
    working day, on a working-hour limit they are office hours, on a clock-hour limit clock hours.
    """
    if hours <= 0:
        return due
    if unit is LimitUnit.WORKING_DAYS:
        return add_working_days(calendar, due, math.ceil(hours / 24))
    return deadline(calendar, due, hours, unit)


def elapsed(calendar: WorkCalendar, start: datetime, now: datetime, unit: LimitUnit) -> float:
    """Seconds of the limit used between `start` and `now`, counted the way the unit counts."""
    if unit is LimitUnit.HOURS:
        return max(0.0, (now - start).total_seconds())
    return working_seconds_between(calendar, start, now)


def share_used(calendar: WorkCalendar, start: datetime, due: datetime, now: datetime, unit: LimitUnit) -> float:
    """The share of the limit used at `now` (0.0 at the start, 1.0 at the deadline, above when late)."""
    allowed = elapsed(calendar, start, due, unit)
    if allowed <= 0:
        return 1.0 if now >= due else 0.0
    return elapsed(calendar, start, now, unit) / allowed


def instant_at_share(calendar: WorkCalendar, start: datetime, due: datetime, share: float, unit: LimitUnit) -> datetime:
    """The instant when `share` of the limit is used (shares above 1 lie beyond the deadline)."""
    return instants_at_shares(calendar, start, due, [share], unit)[0]


def instants_at_shares(
    calendar: WorkCalendar, start: datetime, due: datetime, shares: Sequence[float], unit: LimitUnit
) -> list[datetime]:
    """`instant_at_share` for several shares of one limit (in their order), walking its office hours once.

    A ladder's rungs all fall on one limit: its office time is counted once, and each share's office
    seconds are counted off the intervals as `add_working_seconds` counts them.
    """
    if unit is LimitUnit.HOURS:
        return [start + (due - start) * share for share in shares]
    allowed = working_seconds_between(calendar, start, due)
    remaining = [allowed * share for share in shares]
    found: list[datetime | None] = [None] * len(shares)
    waiting = len(shares)
    for begin, end in calendar.office_intervals(start):
        if not waiting:
            break
        length = (end - begin).total_seconds()
        for n, left in enumerate(remaining):
            if found[n] is not None:
                continue
            if left <= length:
                found[n] = begin + timedelta(seconds=left)
                waiting -= 1
            else:
                remaining[n] = left - length
    if waiting:
        raise CalendarError("no working day within twenty years")  # pragma: no cover - the walk raises first
    return cast("list[datetime]", found)


def unknown_years(calendar: WorkCalendar, first: date, last: date) -> list[int]:
    """The years from `first` to `last` (local dates) whose official working days the calendar does not know."""
    return [year for year in range(first.year, last.year + 1) if calendar.basis(year) is Basis.UNKNOWN]


def is_unknown_basis(basis: str | None) -> bool:
    """True when a recorded basis names a year the calendar did not know (its days were guessed)."""
    return bool(basis) and f":{Basis.UNKNOWN.value}" in str(basis)


def _seconds(start: time, end: time) -> float:
    return (datetime.combine(date.min, end) - datetime.combine(date.min, start)).total_seconds()
