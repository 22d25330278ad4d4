"""The work calendar's deadline arithmetic across Spring Festival and National Day 2026."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhili.clocks.calendar import (
    CHINA,
    LimitUnit,
    WorkCalendar,
    add_working_days,
    deadline,
    extend,
    instant_at_share,
    instants_at_shares,
    is_official_workday,
    share_used,
    working_seconds_between,
)

CALENDAR = WorkCalendar()


def local(*args: int) -> datetime:
    """An instant given in China's local time."""
    year, month, day, hour, minute = args
    return datetime(year, month, day, hour, minute, tzinfo=CHINA).astimezone(UTC)


def test_official_holidays_and_make_up_days_come_from_the_library() -> None:
    assert not is_official_workday(date(2026, 2, 17))  # Spring Festival
    assert is_official_workday(date(2026, 2, 14))  # Saturday, made up for the festival
    assert is_official_workday(date(2026, 9, 20))  # Sunday, made up for National Day
    assert not is_official_workday(date(2026, 10, 5))


def test_years_the_library_does_not_know_fall_back_to_monday_to_friday() -> None:
    assert is_official_workday(date(2030, 1, 7))
    assert not is_official_workday(date(2030, 1, 5))


def test_three_working_days_before_spring_festival_end_after_it() -> None:
    # Friday 13 Feb: Saturday 14 is a make-up working day, 15-23 are the holiday.
    due = deadline(CALENDAR, local(2026, 2, 13, 10, 0), 3, LimitUnit.WORKING_DAYS)
    assert due == local(2026, 2, 25, 17, 30)


def test_national_day_working_days_skip_the_golden_week_and_count_the_make_up_saturday() -> None:
    start = local(2026, 9, 30, 16, 0)
    assert deadline(CALENDAR, start, 1, LimitUnit.WORKING_DAYS) == local(2026, 10, 8, 17, 30)
    assert deadline(CALENDAR, start, 3, LimitUnit.WORKING_DAYS) == local(2026, 10, 10, 17, 30)


def test_working_hours_stop_for_the_night_and_the_holiday() -> None:
    # 1.5 h on 30 Sep, then 8 Oct: 3.5 h in the morning and 3 h after 13:30.
    due = deadline(CALENDAR, local(2026, 9, 30, 16, 0), 8, LimitUnit.WORKING_HOURS)
    assert due == local(2026, 10, 8, 16, 30)


def test_clock_hours_ignore_the_calendar() -> None:
    start = local(2026, 2, 16, 23, 0)
    assert deadline(CALENDAR, start, 4, LimitUnit.HOURS) == start + timedelta(hours=4)


def test_share_used_counts_office_time_only() -> None:
    start = local(2026, 2, 13, 17, 0)
    due = deadline(CALENDAR, start, 1, LimitUnit.WORKING_DAYS)
    assert due == local(2026, 2, 14, 17, 30)
    assert share_used(CALENDAR, start, due, local(2026, 2, 14, 12, 0), LimitUnit.WORKING_DAYS) == pytest.approx(0.5)
    # Overnight nothing is used.
    overnight = share_used(CALENDAR, start, due, local(2026, 2, 14, 8, 0), LimitUnit.WORKING_DAYS)
    assert overnight == pytest.approx(0.5 / 8)


def test_a_case_reported_on_new_years_eve_stays_green_through_the_festival() -> None:
    start = local(2026, 2, 16, 9, 0)  # a holiday
    due = deadline(CALENDAR, start, 2, LimitUnit.WORKING_DAYS)
    assert due == local(2026, 2, 25, 17, 30)
    assert share_used(CALENDAR, start, due, local(2026, 2, 23, 20, 0), LimitUnit.WORKING_DAYS) == 0.0
    yellow = instant_at_share(CALENDAR, start, due, 0.7, LimitUnit.WORKING_DAYS)
    assert yellow.astimezone(CHINA).date() == date(2026, 2, 25)


def test_local_overrides_close_a_county_office_on_a_working_day() -> None:
    closed = WorkCalendar(overrides=MappingProxyType({date(2026, 10, 8): False}))
    assert deadline(closed, local(2026, 9, 30, 16, 0), 1, LimitUnit.WORKING_DAYS) == local(2026, 10, 9, 17, 30)


def test_an_extension_on_working_days_adds_a_working_day_per_started_day() -> None:
    due = local(2026, 9, 30, 17, 30)
    assert extend(CALENDAR, due, 24, LimitUnit.WORKING_DAYS) == local(2026, 10, 8, 17, 30)
    assert extend(CALENDAR, due, 25, LimitUnit.WORKING_DAYS) == local(2026, 10, 9, 17, 30)
    assert extend(CALENDAR, due, 2, LimitUnit.HOURS) == due + timedelta(hours=2)
    assert extend(CALENDAR, due, 0, LimitUnit.HOURS) == due


def test_the_red_card_instant_lies_beyond_the_deadline_by_the_same_office_time() -> None:
    start = local(2026, 9, 29, 9, 0)
    due = deadline(CALENDAR, start, 1, LimitUnit.WORKING_DAYS)
    twice = instant_at_share(CALENDAR, start, due, 2.0, LimitUnit.WORKING_DAYS)
    assert working_seconds_between(CALENDAR, start, twice) == pytest.approx(
        2 * working_seconds_between(CALENDAR, start, due)
    )
    assert twice > due


instants = st.datetimes(
    # hypothesis takes naive bounds and attaches the zone itself
    min_value=datetime(2025, 1, 1, tzinfo=UTC).replace(tzinfo=None),
    max_value=datetime(2027, 6, 30, tzinfo=UTC).replace(tzinfo=None),
    timezones=st.just(UTC),
)
units = st.sampled_from(list(LimitUnit))


@given(start=instants, amount=st.integers(min_value=1, max_value=30), unit=units, share=st.floats(0.05, 3.0))
def test_the_instant_at_a_share_uses_exactly_that_share(
    start: datetime, amount: int, unit: LimitUnit, share: float
) -> None:
    due = deadline(CALENDAR, start, amount, unit)
    assert due > start
    at = instant_at_share(CALENDAR, start, due, share, unit)
    assert share_used(CALENDAR, start, due, at, unit) == pytest.approx(share, rel=1e-6)


@given(
    start=instants,
    amount=st.integers(min_value=1, max_value=30),
    unit=units,
    shares=st.lists(st.floats(0.05, 3.0), min_size=1, max_size=8),
)
def test_a_ladders_instants_walked_at_once_are_each_shares_own_instant(
    start: datetime, amount: int, unit: LimitUnit, shares: list[float]
) -> None:
    due = deadline(CALENDAR, start, amount, unit)
    each = [instant_at_share(CALENDAR, start, due, share, unit) for share in shares]
    assert instants_at_shares(CALENDAR, start, due, shares, unit) == each


@given(start=instants, days=st.integers(min_value=1, max_value=20))
def test_more_working_days_never_end_sooner(start: datetime, days: int) -> None:
    assert add_working_days(CALENDAR, start, days + 1) > add_working_days(CALENDAR, start, days)
