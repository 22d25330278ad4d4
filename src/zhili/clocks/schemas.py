"""What the calendar API accepts and returns."""

from __future__ import annotations

from datetime import date

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
