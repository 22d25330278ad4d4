"""The assessment model as data (pure): dimensions, indicators, who is scored, weights, penalties.

A model is read from TOML (the packaged default, `data/default_model.toml`) or from a stored version
(JSON), and checked here: an indicator names a known dimension, a source that can score its kind of
subject and a method with the figures it needs. Nothing here reads the database or the clock.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from importlib import resources
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from zhili.core.errors import InvalidInputError
from zhili.matters.definition import EscalationAction, Phase

DIMENSIONS = ("timeliness", "quality", "satisfaction", "cross")
PHASES = tuple(Phase)
CARD_ACTIONS = (EscalationAction.YELLOW_CARD, EscalationAction.RED_CARD)


class SubjectKind(StrEnum):
    """Who is scored: a division (township command room, county centre), a department unit, a person."""

    DIVISION = "division"
    UNIT = "unit"
    PERSON = "person"


class Method(StrEnum):
    """How an indicator turns its events into points (docs/reference/assessment.md)."""

    RATE = "rate"  # weight × share of good events; each bad event costs weight / n
    COUNT = "count"  # each bad event costs `points`, at most `weight`
    MEAN = "mean"  # weight × mean rating / scale


class Source(StrEnum):
    """Where an indicator's events come from in the record."""

    PHASE_END = "phase_end"  # timeline lines that end a phase, on time or late
    VERIFICATION = "verification"  # verify / verify_failed lines (rework)
    RETURN = "return"  # dispatch / return lines (returns)
    RATING = "rating"  # rate lines (dissatisfied)
    REOPEN = "reopen"  # rate lines that reopened the case
    OVERTURNED = "overturned"  # rating reviews (rating_upheld / rating_overturned lines): overturned ratings
    TASK_CLAIM = "task_claim"  # campaign tasks claimed by their claim time
    TASK_REPORT = "task_report"  # campaign tasks reported by their report time
    CROSS = "cross"  # the monthly cross-evaluation ratings
    INSTRUCTION = "instruction"  # command-group instructions done by their deadline (each addressee's copy)


# The sources whose bad events are deadlines missed: a line costing points under them was late (逾期).
LATENESS: frozenset[Source] = frozenset({Source.PHASE_END, Source.TASK_CLAIM, Source.TASK_REPORT, Source.INSTRUCTION})

# Which kinds of subject each source can score (who the event is attributed to).
SCORES: dict[Source, frozenset[SubjectKind]] = {
    Source.PHASE_END: frozenset(SubjectKind),
    Source.VERIFICATION: frozenset({SubjectKind.DIVISION, SubjectKind.UNIT}),
    Source.RETURN: frozenset({SubjectKind.DIVISION, SubjectKind.UNIT}),
    Source.RATING: frozenset({SubjectKind.DIVISION, SubjectKind.UNIT}),
    Source.REOPEN: frozenset({SubjectKind.DIVISION, SubjectKind.UNIT}),
    Source.OVERTURNED: frozenset({SubjectKind.DIVISION, SubjectKind.UNIT}),
    Source.TASK_CLAIM: frozenset({SubjectKind.DIVISION, SubjectKind.PERSON}),
    Source.TASK_REPORT: frozenset({SubjectKind.DIVISION, SubjectKind.PERSON}),
    Source.CROSS: frozenset({SubjectKind.DIVISION, SubjectKind.UNIT}),
    Source.INSTRUCTION: frozenset({SubjectKind.UNIT, SubjectKind.PERSON}),
}

Points = Annotated[float, Field(ge=0, le=100)]
Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,47}$")]


class Dimension(BaseModel):
    """One of the dimensions (时效, 质量, 群众满意, 互评) with its names."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    key: str
    name_zh: Annotated[str, Field(min_length=1, max_length=40)]
    name_en: Annotated[str, Field(min_length=1, max_length=80)]


class Indicator(BaseModel):
    """One scored figure of one kind of subject."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    key: Key
    subject: SubjectKind
    dimension: str
    source: Source
    method: Method
    weight: Points
    points: Points = 0
    phases: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.dimension not in DIMENSIONS:
            raise ValueError(f"unknown dimension {self.dimension!r}; one of {', '.join(DIMENSIONS)}")
        if self.subject not in SCORES[self.source]:
            raise ValueError(f"the source {self.source} does not score a {self.subject}")
        if (self.source is Source.CROSS) != (self.method is Method.MEAN):
            raise ValueError("the cross-evaluation is scored by its mean, and only it")
        if self.method is Method.COUNT and self.points <= 0:
            raise ValueError("a counted indicator needs the points each event costs")
        if self.source is Source.PHASE_END and not self.phases:
            raise ValueError("a phase indicator names its phases")
        if any(phase not in PHASES for phase in self.phases):
            raise ValueError(f"phases are among {', '.join(PHASES)}")
        return self


class Penalty(BaseModel):
    """A supervision card's cost: points off the subject's total."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    action: str
    subject: SubjectKind
    points: Points

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.action not in CARD_ACTIONS:
            raise ValueError(f"cards are {', '.join(CARD_ACTIONS)}")
        if self.subject is SubjectKind.PERSON:
            raise ValueError("cards are issued to units and divisions, not to people")
        return self


class AssessmentModel(BaseModel):
    """The whole model: what a month's scores are made of."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name_zh: Annotated[str, Field(min_length=1, max_length=60)]
    name_en: Annotated[str, Field(min_length=1, max_length=120)]
    rating_scale: Annotated[int, Field(ge=5, le=100)] = 5
    dimensions: tuple[Dimension, ...]
    indicators: tuple[Indicator, ...]
    penalties: tuple[Penalty, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if tuple(d.key for d in self.dimensions) != DIMENSIONS:
            raise ValueError(f"the dimensions are {', '.join(DIMENSIONS)}, in that order")
        if self.rating_scale not in {5, 100}:
            raise ValueError("ratings are 1–5 or 0–100")
        keys = [i.key for i in self.indicators]
        if len(keys) != len(set(keys)):
            raise ValueError("indicator keys are unique")
        cards = [(p.action, p.subject) for p in self.penalties]
        if len(cards) != len(set(cards)):
            raise ValueError("one penalty per card and kind of subject")
        return self

    def indicators_of(self, subject: SubjectKind) -> tuple[Indicator, ...]:
        """The indicators scoring this kind of subject."""
        return tuple(i for i in self.indicators if i.subject is subject)

    def full_marks(self, subject: SubjectKind) -> float:
        """The most a subject of this kind can score (the sum of its indicators' weights)."""
        return sum(i.weight for i in self.indicators_of(subject))

    def indicator(self, key: str) -> Indicator | None:
        """The indicator of this key, if the model has one."""
        return next((i for i in self.indicators if i.key == key), None)

    def rater_pairs(self) -> frozenset[SubjectKind]:
        """The kinds of subject rated in the cross-evaluation (divisions rate units and units divisions)."""
        return frozenset(i.subject for i in self.indicators if i.source is Source.CROSS)


def parse(values: dict[str, Any]) -> AssessmentModel:
    """A model from plain values; a 422 naming each field that is wrong."""
    try:
        return AssessmentModel.model_validate(values)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(part) for part in error["loc"]) or "model", "message": error["msg"]}
            for error in exc.errors()
        ]
        raise InvalidInputError("the assessment model is not valid", errors=errors) from exc


def parse_toml(text: str) -> AssessmentModel:
    """A model from TOML text (the packaged default, or a file an administrator pastes)."""
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(
            f"the model is not valid TOML: {exc}", errors=[{"field": "model", "message": str(exc)}]
        ) from exc
    return parse(values)


def default_text() -> str:
    """The packaged default model's TOML."""
    return resources.files("zhili.assessment").joinpath("data/default_model.toml").read_text(encoding="utf-8")


def load_default() -> AssessmentModel:
    """The packaged default model."""
    return parse_toml(default_text())
