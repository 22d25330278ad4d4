"""Request and response models of the assessment API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from zhili.assessment.model import SubjectKind
from zhili.assessment.period import PATTERN as MONTH_PATTERN
from zhili.assessment.scoring import RankedLevel

MonthText = Annotated[str, Field(pattern=MONTH_PATTERN, examples=["2026-11"])]
CountyCode = Annotated[str, Field(pattern=r"^[0-9]{6}$", examples=["330825"])]
SubjectId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")]
RaterKey = Annotated[str, Field(pattern=r"^(division|unit):[0-9]{1,20}$", examples=["division:330825101"])]


class ScoreRow(BaseModel):
    """One subject on a ranking."""

    rank: int = Field(
        description="1 for the highest total, ties sharing a rank; 0: nothing counted this month, not ranked"
    )
    subject_kind: SubjectKind
    subject_id: str
    name: str
    timeliness: float
    quality: float
    satisfaction: float
    cross: float
    penalty: float
    total: float
    full_marks: float
    events: int
    is_own: bool


class ScoresRead(BaseModel):
    """A level's ranking in a county's month."""

    county: str
    county_name: str
    month: str
    level: RankedLevel
    is_closed: bool
    closed_at: datetime | None
    model_version: int
    rows: list[ScoreRow]
    ranked: int = Field(description="how many the level ranks; more than the rows where people are out of sight")


class LineRead(BaseModel):
    """One event's points: the breakdown's row."""

    dimension: str
    indicator: str
    points: float
    case_id: int | None
    case_number: str | None
    event_kind: str
    at: datetime
    ref: str


class LinesRead(BaseModel):
    """A subject's month: its score (null when it has none) and every line behind it."""

    county: str
    month: str
    is_closed: bool
    score: ScoreRow | None
    lines: list[LineRead]


class RatingsCreate(BaseModel):
    """One rater's cross-evaluation of a month: subject id → score (1–5, or 0–100 by the model)."""

    month: MonthText
    rater: RaterKey
    scores: Annotated[dict[SubjectId, Annotated[int, Field(ge=0, le=100)]], Field(max_length=500)]


class RatingsSaved(BaseModel):
    """How many ratings the rater now has for the month, how many earlier ones the save cleared, how many wait."""

    month: str
    rater: str
    saved: int
    cleared: int = Field(default=0, description="earlier ratings of subjects left out of this save, now removed")
    unrated: int = Field(default=0, description="subjects on the rater's form without a rating after this save")


class CloseCreate(BaseModel):
    """Close a county's month."""

    county: CountyCode
    month: MonthText


class CloseRead(BaseModel):
    """A closed month (the close that stands, when it was closed before)."""

    county: str
    month: str
    closed_at: datetime
    model_version: int
    scores: int
    lines: int
    is_new: bool
