"""`DetectorConfig`: the detectors as data (rules, change score, multivariate score, weights, grades). Pure.

The default lives in `early_warning/data/detectors.toml`; an administrator edits a copy, which is stored
as JSON (`model_dump(mode="json")`, read back with `model_validate`). Every value is checked on load,
and a bad one is refused with a message naming the field and the reason.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from importlib import resources
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zhili.early_warning.indicators import Indicator


class Against(StrEnum):
    """What a rule compares the firm's month with."""

    OWN_MEDIAN = "own_median"  # the firm's own median over the trailing window (e.g. 12 months)
    LAST_YEAR = "last_year"  # the same month a year before
    INDUSTRY = "industry"  # the own-median ratio, divided by the median ratio of the firm's industry that month
    LEVEL = "level"  # the threshold itself, as an absolute value (arrears, events, days)


class Direction(StrEnum):
    """Which way is bad."""

    BELOW = "below"
    ABOVE = "above"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Rule(_Frozen):
    """A threshold on one series (an indicator, or its ratio to another) held for `consecutive` months."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,47}$", description="stable id, lower case with underscores")
    name_zh: str = Field(min_length=1, max_length=80)
    name_en: str = Field(min_length=1, max_length=120)
    indicator: Indicator
    per: Indicator | None = Field(default=None, description="divide by this indicator (wages paid per wages due)")
    against: Against
    direction: Direction
    threshold: float = Field(ge=0, description="a ratio to the baseline, or an absolute value for `level`")
    consecutive: int = Field(default=1, ge=1, le=12, description="months in a row the condition must hold")
    weight: float = Field(gt=0, le=1, description="the chance-like weight this rule adds when it fires")
    seasonal_exempt: bool = Field(
        default=False, description="not when the same month last year was as far below (or above) today's baseline"
    )

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.per == self.indicator:
            msg = f"rule {self.id}: `per` must differ from `indicator` ({self.indicator})"
            raise ValueError(msg)
        if self.seasonal_exempt and self.against not in {Against.OWN_MEDIAN, Against.INDUSTRY}:
            msg = f"rule {self.id}: seasonal_exempt applies to own_median and industry rules, not {self.against}"
            raise ValueError(msg)
        if self.against is not Against.LEVEL and self.threshold <= 0:
            msg = f"rule {self.id}: a ratio threshold must be above 0, got {self.threshold}"
            raise ValueError(msg)
        return self


class Signal(_Frozen):
    """One series the change score and the multivariate score watch, and which way is bad."""

    indicator: Indicator
    per: Indicator | None = None
    direction: Direction
    weight: float = Field(default=1.0, gt=0, le=10)

    @property
    def key(self) -> tuple[Indicator, Indicator | None]:
        """The series this signal reads."""
        return (self.indicator, self.per)


class Baseline(_Frozen):
    """The firm's own history that rules and the change score compare with."""

    window: int = Field(default=12, ge=3, le=24, description="trailing months for the firm's median")
    min_history: int = Field(default=6, ge=2, le=24, description="fewer delivered months: no baseline")
    since_lookback: int = Field(default=6, ge=1, le=24, description="months searched back for `since`")

    @model_validator(mode="after")
    def _history_fits(self) -> Self:
        if self.min_history > self.window:
            msg = f"min_history ({self.min_history}) cannot exceed window ({self.window})"
            raise ValueError(msg)
        return self


class ChangeParams(_Frozen):
    """The robust change score: a median/IQR z-score of each signal's recent level against own history."""

    recent_months: int = Field(default=2, ge=1, le=6, description="months averaged as the recent level")
    seasonal_weight: float = Field(default=1.0, ge=0, le=1, description="share of last year's bad deviation removed")
    min_scale: float = Field(default=0.1, gt=0, description="floor of the spread, in log units")
    z_cap: float = Field(default=6.0, gt=0, description="a z-score counts at most this much")
    explain_z: float = Field(default=2.5, gt=0, description="a signal this far out is named in the findings")
    offset: float = Field(default=4.0, ge=0, description="weighted sum of bad z-scores where the part turns up")
    scale: float = Field(default=4.0, gt=0, description="how fast the part grows past the offset")
    signals: tuple[Signal, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        keys = [signal.key for signal in self.signals]
        if len(set(keys)) != len(keys):
            msg = "each signal (indicator, per) may appear once"
            raise ValueError(msg)
        return self


class MultivariateParams(_Frozen):
    """The multivariate score: ECOD tail chances of the signed change z-scores among the month's firms."""

    bins_per_unit: int = Field(default=50, ge=5, le=1000, description="grid of the z-scores' distribution")
    explain_surprisal: float = Field(default=4.6, gt=0, description="-ln(tail chance) that names a signal")
    offset: float = Field(default=1.5, ge=0, description="mean surprisal where the part turns up")
    scale: float = Field(default=0.7, gt=0, description="how fast the part grows past the offset")


class Combination(_Frozen):
    """How much each detector's part counts: risk = 1 - Π (1 - weight × part)."""

    rules: float = Field(default=1.0, ge=0, le=1)
    change: float = Field(default=0.5, ge=0, le=1)
    multivariate: float = Field(default=0.8, ge=0, le=1)


class GradeCutoffs(_Frozen):
    """The least risk of each grade; yellow < orange < red."""

    yellow: float = Field(gt=0, le=1)
    orange: float = Field(gt=0, le=1)
    red: float = Field(gt=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.yellow < self.orange < self.red:
            msg = f"cut-offs must rise yellow < orange < red, got {self.yellow}, {self.orange}, {self.red}"
            raise ValueError(msg)
        return self


class DetectorConfig(_Frozen):
    """Every detector's settings; one stored version is what a month's warnings were computed with."""

    name: str = Field(default="default", min_length=1, max_length=80)
    baseline: Baseline = Baseline()
    rules: tuple[Rule, ...]
    change: ChangeParams
    multivariate: MultivariateParams = MultivariateParams()
    combination: Combination = Combination()
    grades: GradeCutoffs
    cases_from: int = Field(
        default=2, ge=1, le=3, description="the grade (1 yellow, 2 orange, 3 red) from which a warning opens a case"
    )

    @model_validator(mode="after")
    def _unique_rule_ids(self) -> Self:
        ids = [rule.id for rule in self.rules]
        twice = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
        if twice:
            msg = f"rule ids must be unique; repeated: {', '.join(twice)}"
            raise ValueError(msg)
        return self

    @property
    def longest_run(self) -> int:
        """The most consecutive months any rule needs."""
        return max((rule.consecutive for rule in self.rules), default=1)


def load_default() -> DetectorConfig:
    """The packaged default (`early_warning/data/detectors.toml`)."""
    text = resources.files("zhili.early_warning").joinpath("data", "detectors.toml").read_text(encoding="utf-8")
    return DetectorConfig.model_validate(tomllib.loads(text))
