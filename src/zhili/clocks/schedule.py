"""A year's official schedule (全国节假日安排) as a data file: its format and its validation, pure.

The State Council publishes each year's holidays and the weekend days worked in exchange (调休上班)
a few weeks before the year begins. Administrators load it as a TOML or JSON file:

    year = 2027
    source = "国务院办公厅关于2027年部分节假日安排的通知 (国办发明电〔2026〕N号)"
    workdays = [2027-02-06]                      # make-up working days: Saturdays or Sundays
    [[holidays]]
    name = "元旦"
    start = 2027-01-01
    end = 2027-01-01                             # inclusive

`parse_schedule` reads the text and `validate_schedule` checks it, naming every problem by its field
(`holidays[2].end`, `workdays[0]`) and kind, so the API, the page and the CLI can each say it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import tomllib
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_HOLIDAYS = 40
MAX_WORKDAYS = 40
MAX_HOLIDAY_DAYS = 31
MAX_NAME = 60
MAX_SOURCE = 300
FIELDS = frozenset({"year", "source", "holidays", "workdays"})
HOLIDAY_FIELDS = frozenset({"name", "start", "end"})
_SATURDAY = 5


class DayKind:
    """What an official day is: a holiday, or a weekend day worked in exchange."""

    HOLIDAY = "holiday"
    WORKDAY = "workday"


@dataclass(frozen=True)
class Holiday:
    """One holiday period, `start` to `end` inclusive."""

    name: str
    start: date
    end: date

    def days(self) -> list[date]:
        """Every day of the period."""
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class YearSchedule:
    """A validated year: its holidays and make-up working days, and where they were published."""

    year: int
    source: str
    holidays: tuple[Holiday, ...]
    workdays: tuple[date, ...]

    def days(self) -> list[tuple[date, str, str]]:
        """(day, kind, name) for every holiday day and make-up working day, in order."""
        found = [(day, DayKind.HOLIDAY, h.name) for h in self.holidays for day in h.days()]
        found += [(day, DayKind.WORKDAY, "") for day in self.workdays]
        return sorted(found)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form of the file (dates as ISO text)."""
        return {
            "year": self.year,
            "source": self.source,
            "holidays": [
                {"name": h.name, "start": h.start.isoformat(), "end": h.end.isoformat()} for h in self.holidays
            ],
            "workdays": [day.isoformat() for day in self.workdays],
        }

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON form: the same schedule loaded twice has the same hash."""
        text = json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ScheduleProblem:
    """One thing wrong with a schedule: the field, the kind of problem, and a sentence in English."""

    field: str
    kind: str
    message: str


class ScheduleError(ValueError):
    """A schedule that cannot be loaded, with every problem found."""

    def __init__(self, problems: list[ScheduleProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


def parse_schedule(text: str) -> YearSchedule:
    """Read a schedule file (JSON when it starts with `{`, TOML otherwise) and validate it."""
    stripped = text.lstrip("\ufeff \t\r\n")
    try:
        raw: object = json.loads(stripped) if stripped.startswith("{") else tomllib.loads(stripped)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ScheduleError([ScheduleProblem("file", "format", f"not a TOML or JSON file: {exc}")]) from exc
    return validate_schedule(raw)


def validate_schedule(raw: object) -> YearSchedule:
    """Check a schedule's fields; raise `ScheduleError` naming each problem."""
    if not isinstance(raw, dict):
        raise ScheduleError([ScheduleProblem("file", "format", "the schedule must be a table (an object)")])
    problems: list[ScheduleProblem] = [
        ScheduleProblem(str(key), "unknown_field", "is not a field of a schedule") for key in raw if key not in FIELDS
    ]
    year = _year(raw.get("year"), problems)
    source = _text(raw.get("source"), "source", MAX_SOURCE, problems)
    holidays = _holidays(raw.get("holidays"), year, problems)
    workdays = _workdays(raw.get("workdays", []), year, holidays, problems)
    if problems or year is None or source is None:
        raise ScheduleError(problems)
    return YearSchedule(year=year, source=source, holidays=tuple(holidays), workdays=tuple(sorted(workdays)))


def _year(value: object, problems: list[ScheduleProblem]) -> int | None:
    if value is None:
        problems.append(ScheduleProblem("year", "required", "is required"))
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(ScheduleProblem("year", "type", "must be a whole number such as 2027"))
        return None
    if not MIN_YEAR <= value <= MAX_YEAR:
        problems.append(ScheduleProblem("year", "year_range", f"must lie between {MIN_YEAR} and {MAX_YEAR}"))
        return None
    return value


def _text(value: object, name: str, longest: int, problems: list[ScheduleProblem]) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        problems.append(ScheduleProblem(name, "required", "is required"))
        return None
    if not isinstance(value, str):
        problems.append(ScheduleProblem(name, "type", "must be text"))
        return None
    if len(value) > longest:
        problems.append(ScheduleProblem(name, "too_long", f"must be at most {longest} characters"))
        return None
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        problems.append(ScheduleProblem(name, "characters", "must not hold control or bidirectional characters"))
        return None
    return value.strip()


def _day(value: object, name: str, year: int | None, problems: list[ScheduleProblem]) -> date | None:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = date.fromisoformat(value)
    if not isinstance(value, date) or hasattr(value, "hour"):
        problems.append(ScheduleProblem(name, "date", "must be a date such as 2027-01-01"))
        return None
    if year is not None and value.year != year:
        problems.append(ScheduleProblem(name, "outside_year", f"{value.isoformat()} lies outside {year}"))
        return None
    return value


def _holidays(value: object, year: int | None, problems: list[ScheduleProblem]) -> list[Holiday]:
    if value is None:
        problems.append(ScheduleProblem("holidays", "required", "is required (a list of {name, start, end})"))
        return []
    if not isinstance(value, list):
        problems.append(ScheduleProblem("holidays", "type", "must be a list of {name, start, end}"))
        return []
    if len(value) > MAX_HOLIDAYS:
        problems.append(ScheduleProblem("holidays", "too_many", f"must hold at most {MAX_HOLIDAYS} periods"))
        return []
    found = [
        (index, h) for index, item in enumerate(value) if (h := _holiday(item, f"holidays[{index}]", year, problems))
    ]
    reach: tuple[int, Holiday] | None = None  # the period seen so far that ends last
    for index, holiday in sorted(found, key=lambda pair: pair[1].start):
        if reach is not None and holiday.start <= reach[1].end:
            problems.append(
                ScheduleProblem(f"holidays[{index}]", "overlap", f"overlaps holidays[{reach[0]}] ({reach[1].name})")
            )
        if reach is None or holiday.end > reach[1].end:
            reach = (index, holiday)
    return [h for _, h in found]


def _holiday(item: object, name: str, year: int | None, problems: list[ScheduleProblem]) -> Holiday | None:
    if not isinstance(item, dict):
        problems.append(ScheduleProblem(name, "type", "must be a table with name, start and end"))
        return None
    problems += [
        ScheduleProblem(f"{name}.{key}", "unknown_field", "is not a field of a holiday")
        for key in item
        if key not in HOLIDAY_FIELDS
    ]
    title = _text(item.get("name"), f"{name}.name", MAX_NAME, problems)
    start = _day(item.get("start"), f"{name}.start", year, problems)
    end = _day(item.get("end", item.get("start")), f"{name}.end", year, problems)
    if title is None or start is None or end is None:
        return None
    if end < start:
        problems.append(ScheduleProblem(f"{name}.end", "end_before_start", "must not lie before its start"))
        return None
    if (end - start).days >= MAX_HOLIDAY_DAYS:
        problems.append(ScheduleProblem(f"{name}.end", "too_long", f"a holiday lasts at most {MAX_HOLIDAY_DAYS} days"))
        return None
    return Holiday(name=title, start=start, end=end)


def _workdays(value: object, year: int | None, holidays: list[Holiday], problems: list[ScheduleProblem]) -> list[date]:
    if not isinstance(value, list):
        problems.append(ScheduleProblem("workdays", "type", "must be a list of dates"))
        return []
    if len(value) > MAX_WORKDAYS:
        problems.append(ScheduleProblem("workdays", "too_many", f"must hold at most {MAX_WORKDAYS} dates"))
        return []
    off = {day: h.name for h in holidays for day in h.days()}
    seen: set[date] = set()
    found: list[date] = []
    for index, item in enumerate(value):
        name = f"workdays[{index}]"
        day = _day(item, name, year, problems)
        if day is None:
            continue
        if day in seen:
            problems.append(ScheduleProblem(name, "duplicate", f"{day.isoformat()} is listed twice"))
        elif day.weekday() < _SATURDAY:
            problems.append(
                ScheduleProblem(name, "weekday_workday", f"{day.isoformat()} is a weekday: it is a working day anyway")
            )
        elif day in off:
            problems.append(ScheduleProblem(name, "workday_in_holiday", f"{day.isoformat()} lies in {off[day]}"))
        else:
            found.append(day)
        seen.add(day)
    return found
