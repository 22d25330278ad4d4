"""Loaded official years on the work calendar: they outrank the library, unknown years are marked."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import MappingProxyType

from zhili.clocks.calendar import (
    Basis,
    LimitUnit,
    WorkCalendar,
    deadline,
    is_unknown_basis,
    library_knows,
    unknown_years,
)
from zhili.clocks.lights import start_limit

# Wednesday 30 December 2026, 10:00 in Quzhou.
EVE = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)
NEW_YEAR_HOLIDAY = MappingProxyType({2027: MappingProxyType({date(2027, 1, 1): False})})


def test_the_library_knows_2026_but_not_2027() -> None:
    assert library_knows(2026)
    assert not library_knows(2027)
    calendar = WorkCalendar()
    assert calendar.basis(2026) is Basis.LIBRARY
    assert calendar.basis(2027) is Basis.UNKNOWN


def test_a_deadline_across_new_year_counts_1_january_2027_as_a_working_day_when_2027_is_unknown() -> None:
    calendar = WorkCalendar()
    due = deadline(calendar, EVE, 2, LimitUnit.WORKING_DAYS)
    assert due == datetime(2027, 1, 1, 9, 30, tzinfo=UTC)  # Friday 1 January, 17:30: a guess
    limit = start_limit(calendar, EVE, 2, LimitUnit.WORKING_DAYS)
    assert limit.basis == "2026:library,2027:unknown"
    assert is_unknown_basis(limit.basis)


def test_a_loaded_year_that_makes_1_january_a_holiday_moves_the_deadline() -> None:
    calendar = WorkCalendar(loaded=NEW_YEAR_HOLIDAY)
    assert not calendar.is_workday(date(2027, 1, 1))
    assert calendar.is_workday(date(2027, 1, 4))
    assert not calendar.is_workday(date(2027, 1, 9))  # a Saturday the schedule does not name stays a weekend
    due = deadline(calendar, EVE, 2, LimitUnit.WORKING_DAYS)
    assert due == datetime(2027, 1, 4, 9, 30, tzinfo=UTC)  # Monday 4 January, 17:30
    limit = start_limit(calendar, EVE, 2, LimitUnit.WORKING_DAYS)
    assert limit.basis == "2026:library,2027:loaded"
    assert not is_unknown_basis(limit.basis)


def test_a_loaded_year_outranks_the_library_and_a_county_override_outranks_both() -> None:
    loaded = MappingProxyType({2026: MappingProxyType({date(2026, 10, 9): False})})
    calendar = WorkCalendar(loaded=loaded)
    assert WorkCalendar().is_workday(date(2026, 10, 9))
    assert not calendar.is_workday(date(2026, 10, 9))
    assert not WorkCalendar().is_workday(date(2026, 10, 5))
    assert calendar.is_workday(date(2026, 10, 5))  # the loaded year replaces the library for the whole year
    assert calendar.basis(2026) is Basis.LOADED
    overridden = WorkCalendar(overrides=MappingProxyType({date(2026, 10, 9): True}), loaded=loaded)
    assert overridden.is_workday(date(2026, 10, 9))


def test_clock_hour_limits_use_no_calendar_and_record_no_basis() -> None:
    assert start_limit(WorkCalendar(), EVE, 4, LimitUnit.HOURS).basis is None


def test_unknown_years_within_a_span() -> None:
    calendar = WorkCalendar()
    assert unknown_years(calendar, date(2026, 7, 23), date(2026, 9, 21)) == []
    assert unknown_years(calendar, date(2026, 11, 15), date(2027, 1, 14)) == [2027]
    assert unknown_years(WorkCalendar(loaded=NEW_YEAR_HOLIDAY), date(2026, 11, 15), date(2027, 1, 14)) == []
