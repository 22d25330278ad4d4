"""Reading a KPI filter from a page's or the API's query: months, area, matter, unit; errors by the field.

A page keeps what was typed and shows each error beside its field, falling back to the default for
that field; the API turns the same errors into a 422 problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Final

from zhili.analytics.kpis import KpiFilter
from zhili.analytics.report import AREA_LEVELS, default_filter
from zhili.core.auth import Actor
from zhili.core.months import Month
from zhili.org.division_code import DivisionCode

MAX_MONTHS: Final = 60
MATTER: Final = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


@dataclass(frozen=True, slots=True)
class FilterInput:
    """The query as typed (empty strings are unset fields)."""

    first: str = ""
    last: str = ""
    area: str = ""
    matter: str = ""
    unit: str = ""

    def as_query(self) -> dict[str, str]:
        """The typed values under their query names, for links that keep the filter."""
        pairs = {"from": self.first, "to": self.last, "area": self.area, "matter": self.matter, "unit": self.unit}
        return {name: value for name, value in pairs.items() if value}


@dataclass(frozen=True, slots=True)
class ParsedFilter:
    """The filter to use, and the message key of each field's error."""

    kpi_filter: KpiFilter
    errors: dict[str, str] = field(default_factory=dict)


def parse_filter(typed: FilterInput, actor: Actor, now: datetime) -> ParsedFilter:
    """The filter the input asks for; a bad field keeps its default and reports why."""
    result = default_filter(actor, now)
    errors: dict[str, str] = {}
    first, last = _month(typed.first, "from", errors), _month(typed.last, "to", errors)
    result = replace(result, first=first or result.first, last=last or result.last)
    if result.first > result.last:
        errors["from"] = "kpi.error.order"
        result = replace(result, first=result.last)
    elif result.last.index - result.first.index >= MAX_MONTHS:
        errors["from"] = "kpi.error.too_long"
        result = replace(result, first=Month(result.last.index - MAX_MONTHS + 1))
    if typed.area:
        code = DivisionCode.parse(typed.area)
        if code is None or code.level not in AREA_LEVELS:
            errors["area"] = "kpi.error.area"
        else:
            result = replace(result, division=code.value)
    if typed.matter:
        if MATTER.match(typed.matter):
            result = replace(result, matter=typed.matter)
        else:
            errors["matter"] = "kpi.error.matter"
    if typed.unit:
        if typed.unit.isdigit() and len(typed.unit) < 10:  # noqa: PLR2004 - an id fits in 9 digits
            result = replace(result, unit_id=int(typed.unit))
        else:
            errors["unit"] = "kpi.error.unit"
    return ParsedFilter(kpi_filter=result, errors=errors)


def _month(text: str, name: str, errors: dict[str, str]) -> Month | None:
    if not text:
        return None
    try:
        return Month.parse(text)
    except ValueError:
        errors[name] = "kpi.error.month"
        return None
