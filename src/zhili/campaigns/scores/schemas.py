"""What the campaign scores API returns: points and counts per person or per unit."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from zhili.core.params import OneOf
from zhili.org.division_code import DivisionLevel

By = Literal["person", "unit"]
# The levels whose units (divisions) are scored.
UNIT_LEVELS = (DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP, DivisionLevel.VILLAGE)
Level = Annotated[DivisionLevel, OneOf(*UNIT_LEVELS)]


class ScoreRow(BaseModel):
    """One person's or one unit's campaign tasks, counted, and the points they earned."""

    person_id: int | None = Field(default=None, description="set when scored by person")
    division_code: str | None = Field(default=None, description="set when scored by unit")
    name: str
    tasks: int = Field(description="tasks received")
    claimed: int = Field(description="tasks claimed (领办)")
    on_time: int = Field(description="reports (回单) in by the report time")
    verified: int = Field(description="reports verified")
    late: int = Field(description="reports late, or none by the report time (declined tasks aside)")
    returned: int = Field(description="times a report was returned")
    points: int = Field(description="the template's points: earned minus deducted")


class ScoresRead(BaseModel):
    """Scores within the caller's scope, highest first."""

    by: By
    level: Level | None = None
    rows: list[ScoreRow]
