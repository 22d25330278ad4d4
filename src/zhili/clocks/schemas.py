"""What the calendar API accepts and returns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from zhili.core.params import Name


class OverrideSet(BaseModel):
    """Open or close a county's offices on one day."""

    model_config = ConfigDict(extra="forbid")

    is_workday: bool
    reason: Name = Field(max_length=200)


class CalendarDay(BaseModel):
    """One day of a county's work calendar."""

    on: date
    is_workday: bool
    is_override: bool
    reason: str | None = None


class CalendarMonth(BaseModel):
    """A month of a county's work calendar (official calendar plus the county's overrides)."""

    county_code: str
    month: str
    working_days: int
    days: list[CalendarDay]


class OfficialDayRead(BaseModel):
    """One day of a year's official schedule: a holiday, or a weekend day worked in exchange (调休上班)."""

    day: date
    kind: Literal["holiday", "workday"]
    name: str


class YearSummary(BaseModel):
    """Where a year's official working days come from, and for a loaded year who loaded it from what."""

    year: int
    basis: Literal["loaded", "library", "unknown"]
    source: str | None = None
    loaded_at: datetime | None = None
    loaded_by: str | None = None
    holiday_days: int = 0
    workdays: int = 0


class CalendarYears(BaseModel):
    """The years the official calendar knows, and the unknown years within the warning horizon."""

    years: list[YearSummary]
    library_first: int
    library_last: int
    unknown_ahead: list[int]
    horizon_days: int


class YearDays(BaseModel):
    """A year's official days (holidays and make-up working days) and their basis."""

    summary: YearSummary
    days: list[OfficialDayRead]
