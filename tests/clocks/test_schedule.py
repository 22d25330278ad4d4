"""A year's schedule file: TOML and JSON read alike, and every problem is named by its field and kind."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from zhili.clocks.schedule import ScheduleError, parse_schedule, validate_schedule

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "work-calendar-2027.EXAMPLE.toml"


def good() -> dict[str, Any]:
    return {
        "year": 2027,
        "source": "测试用",
        "holidays": [
            {"name": "元旦", "start": "2027-01-01", "end": "2027-01-03"},
            {"name": "春节", "start": "2027-02-05", "end": "2027-02-13"},
        ],
        "workdays": ["2027-01-30", "2027-02-20"],
    }


def problems(raw: object) -> set[tuple[str, str]]:
    with pytest.raises(ScheduleError) as caught:
        validate_schedule(raw)
    return {(p.field, p.kind) for p in caught.value.problems}


def test_the_example_file_reads_and_is_labelled_as_an_example() -> None:
    schedule = parse_schedule(EXAMPLE.read_text(encoding="utf-8"))
    assert schedule.year == 2027
    assert schedule.source.startswith("EXAMPLE")
    assert schedule.workdays == (date(2027, 1, 30), date(2027, 2, 20))
    first = schedule.holidays[0]
    assert (first.name, first.start, first.end) == ("元旦", date(2027, 1, 1), date(2027, 1, 3))


def test_toml_and_json_give_the_same_schedule() -> None:
    from_json = parse_schedule(json.dumps(good(), ensure_ascii=False))
    from_toml = parse_schedule(EXAMPLE.read_text(encoding="utf-8"))
    assert from_json.days() == from_toml.days()
    assert from_json.as_dict()["holidays"] == from_toml.as_dict()["holidays"]
    assert len(from_json.content_hash()) == 64


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s.pop("year"), ("year", "required")),
        (lambda s: s.update(year="2027"), ("year", "type")),
        (lambda s: s.update(year=1999), ("year", "year_range")),
        (lambda s: s.update(source=" "), ("source", "required")),
        (lambda s: s.update(source="x" * 301), ("source", "too_long")),
        (lambda s: s.update(source="通知\u202e"), ("source", "characters")),
        (lambda s: s.update(colour="red"), ("colour", "unknown_field")),
        (lambda s: s.pop("holidays"), ("holidays", "required")),
        (lambda s: s.update(holidays="元旦"), ("holidays", "type")),
        (lambda s: s["holidays"].append("元旦"), ("holidays[2]", "type")),
        (lambda s: s["holidays"][0].update(name=""), ("holidays[0].name", "required")),
        (lambda s: s["holidays"][0].update(when="x"), ("holidays[0].when", "unknown_field")),
        (lambda s: s["holidays"][1].update(start="2027-02-30"), ("holidays[1].start", "date")),
        (lambda s: s["holidays"][1].update(end="2028-01-02"), ("holidays[1].end", "outside_year")),
        (lambda s: s["holidays"][0].update(start="2026-12-31"), ("holidays[0].start", "outside_year")),
        (lambda s: s["holidays"][1].update(end="2027-02-01"), ("holidays[1].end", "end_before_start")),
        (lambda s: s["holidays"][1].update(end="2027-04-01"), ("holidays[1].end", "too_long")),
        (
            lambda s: s["holidays"].append({"name": "x", "start": "2027-02-10", "end": "2027-02-11"}),
            ("holidays[2]", "overlap"),
        ),
        (lambda s: s.update(workdays="2027-01-30"), ("workdays", "type")),
        (lambda s: s["workdays"].append("2027-01-30"), ("workdays[2]", "duplicate")),
        (lambda s: s["workdays"].append("2027-01-04"), ("workdays[2]", "weekday_workday")),
        (lambda s: s["workdays"].append("2027-01-02"), ("workdays[2]", "workday_in_holiday")),
        (lambda s: s["workdays"].append("2028-01-01"), ("workdays[2]", "outside_year")),
        (lambda s: s["workdays"].append("soon"), ("workdays[2]", "date")),
        (lambda s: s.update(workdays=["2027-01-02"] * 41), ("workdays", "too_many")),
    ],
)
def test_each_problem_is_named_by_its_field_and_kind(change: Any, expected: tuple[str, str]) -> None:
    schedule = good()
    change(schedule)
    assert expected in problems(schedule)


def test_every_problem_is_reported_at_once() -> None:
    schedule = good()
    schedule["holidays"][0]["end"] = "2028-01-01"
    schedule["workdays"] = ["2027-01-04", "2027-01-30", "2027-01-30"]
    assert problems(schedule) == {
        ("holidays[0].end", "outside_year"),
        ("workdays[0]", "weekday_workday"),
        ("workdays[2]", "duplicate"),
    }


def test_an_overlap_with_a_long_earlier_period_is_found() -> None:
    schedule = good()
    schedule["holidays"] = [
        {"name": "长假", "start": "2027-10-01", "end": "2027-10-10"},
        {"name": "甲", "start": "2027-10-02", "end": "2027-10-03"},
        {"name": "乙", "start": "2027-10-05", "end": "2027-10-06"},
    ]
    schedule["workdays"] = []
    assert problems(schedule) == {("holidays[1]", "overlap"), ("holidays[2]", "overlap")}


@pytest.mark.parametrize(
    "text", ["year = ", '{"year": ', "[1, 2]", "year = 2027\n[[holidays]]\nstart = 2027-01-01T08:00:00"]
)
def test_a_file_that_is_not_a_schedule_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(text)
    assert caught.value.problems
    assert all(p.message for p in caught.value.problems)
