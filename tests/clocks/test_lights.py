"""Warning lights and ladder instants of a running limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from zhili.clocks.calendar import CHINA, LimitUnit, WorkCalendar
from zhili.clocks.lights import Light, ladder, light_at, start_limit

CALENDAR = WorkCalendar()
START = datetime(2026, 7, 23, 9, 0, tzinfo=CHINA).astimezone(UTC)


def test_light_turns_yellow_at_seventy_percent_and_red_at_the_deadline() -> None:
    limit = start_limit(CALENDAR, START, 10, LimitUnit.HOURS)
    assert limit.yellow_at == START + timedelta(hours=7)
    assert light_at(START + timedelta(hours=6, minutes=59), limit.yellow_at, limit.due_at) is Light.GREEN
    assert light_at(START + timedelta(hours=7), limit.yellow_at, limit.due_at) is Light.YELLOW
    assert light_at(START + timedelta(hours=10), limit.yellow_at, limit.due_at) is Light.RED


def test_a_granted_extension_moves_both_the_yellow_and_the_red_instant() -> None:
    plain = start_limit(CALENDAR, START, 10, LimitUnit.HOURS)
    extended = start_limit(CALENDAR, START, 10, LimitUnit.HOURS, extension_hours=10)
    assert extended.due_at == plain.due_at + timedelta(hours=10)
    assert extended.yellow_at == START + timedelta(hours=14)


def test_a_phase_without_a_limit_stays_green() -> None:
    assert light_at(START, None, None) is Light.GREEN


def test_ladder_lists_lights_and_steps_in_time_order() -> None:
    limit = start_limit(CALENDAR, START, 10, LimitUnit.HOURS)
    steps = ladder(CALENDAR, limit, [("red_card", 2.0), ("urge", 0.7), ("supervise", 1.0), ("yellow_card", 1.0)])
    assert [s.step for s in steps] == ["yellow", "urge", "red", "supervise", "yellow_card", "red_card"]
    assert steps[-1].at == START + timedelta(hours=20)


def test_ladder_on_working_days_counts_office_time_beyond_the_deadline() -> None:
    limit = start_limit(CALENDAR, START, 1, LimitUnit.WORKING_DAYS)
    red_card = ladder(CALENDAR, limit, [("red_card", 2.0)])[-1]
    assert red_card.at.astimezone(CHINA).date() > limit.due_at.astimezone(CHINA).date()
