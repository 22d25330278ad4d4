"""Rules: a threshold on a series against the firm's own median, last year or its industry, held N months. Pure.

A missing value (NaN) compares false, so a month a feed did not deliver never fires a rule by itself
and breaks a run of consecutive months rather than extending it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from zhili.early_warning.detect.config import Against, Direction, Rule
from zhili.early_warning.detect.series import SeriesWindow, industry_median
from zhili.early_warning.detect.windows import F32, f32

Runs = npt.NDArray[np.int16]


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """A rule over the target months, time-major `[months, firms]`."""

    rule: Rule
    baseline: F32  # what the month was compared with (for `level`: the firm's own median, for context)
    current: F32
    run: Runs  # consecutive months, ending at each month, that the condition held

    def fired(self, row: int | slice = slice(None)) -> npt.NDArray[np.bool_]:
        """Whether the rule fires at the target month(s) `row`."""
        return self.run[row] >= self.rule.consecutive


def runs(condition: npt.NDArray[np.bool_]) -> Runs:
    """For each month, how many months in a row up to it `condition` held (time-major)."""
    run = np.zeros(condition.shape, dtype=np.int16)
    previous = np.zeros(condition.shape[1], dtype=np.int16)
    for row in range(condition.shape[0]):
        previous = (previous + 1) * condition[row]
        run[row] = previous
    return run


def _baseline(rule: Rule, window: SeriesWindow, industries: npt.NDArray[np.int16]) -> F32:
    if rule.against is Against.LAST_YEAR:
        return window.last_year
    median = window.stats.median
    if rule.against is not Against.INDUSTRY:
        return median
    with np.errstate(divide="ignore", invalid="ignore"):
        own_ratio = np.where(median > 0, window.current / median, np.float32(np.nan)).astype(np.float32)
    return (median * industry_median(own_ratio, industries)).astype(np.float32)


def evaluate_rule(rule: Rule, window: SeriesWindow, industries: npt.NDArray[np.int16]) -> RuleOutcome:
    """Where and for how long `rule` holds over the window's target months."""
    baseline = _baseline(rule, window, industries)
    current = window.current
    threshold = np.float32(rule.threshold)
    with np.errstate(invalid="ignore"):
        if rule.against is Against.LEVEL:
            bound = np.full_like(current, threshold)
        else:
            # a ratio needs a positive baseline: a firm with no usage to fall from cannot fall
            bound = np.where(baseline > 0, baseline * threshold, np.float32(np.nan))
        condition = current < bound if rule.direction is Direction.BELOW else current > bound
        if rule.seasonal_exempt:  # as far out a year ago: the firm's season, not a warning (NaN: no exemption)
            last_year = window.last_year
            condition &= ~(last_year < bound if rule.direction is Direction.BELOW else last_year > bound)
    return RuleOutcome(rule, baseline, current, runs(condition))


def rule_part(outcomes: list[RuleOutcome]) -> F32:
    """1 - Π over indicators of (1 - the largest weight among its rules that fire), per firm and month.

    Rules on one indicator (electricity against its own median, last year and its industry) are one
    piece of evidence seen three ways, so they count once, by the heaviest that fires; rules on
    different indicators add up as independent evidence. 0 when none fires.
    """
    if not outcomes:
        msg = "rule_part needs at least one rule outcome"
        raise ValueError(msg)
    strongest: dict[object, F32] = {}
    for outcome in outcomes:
        weight = np.where(outcome.fired(), np.float32(outcome.rule.weight), np.float32(0))
        key = outcome.rule.indicator
        strongest[key] = np.maximum(strongest[key], weight) if key in strongest else weight
    survive = np.ones(outcomes[0].run.shape, dtype=np.float32)
    for weight in strongest.values():
        survive *= np.float32(1) - weight
    return f32(np.float32(1) - survive)
