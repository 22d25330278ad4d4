"""One pass of every detector over a range of months: rule runs, change z-scores, surprisals, parts, risk. Pure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zhili.early_warning.detect.change import SignalOutcome, change_part, evaluate_signal
from zhili.early_warning.detect.config import DetectorConfig
from zhili.early_warning.detect.grades import combine
from zhili.early_warning.detect.multivariate import multivariate_part, surprisal
from zhili.early_warning.detect.rules import RuleOutcome, evaluate_rule, rule_part
from zhili.early_warning.detect.series import SeriesCache
from zhili.early_warning.detect.windows import F32
from zhili.early_warning.panel import Panel


@dataclass(frozen=True, slots=True)
class Computation:
    """Detector outputs for panel columns `start..last`, time-major `[rows, firms]` (row 0 is `start`)."""

    start: int
    rules: list[RuleOutcome]
    signals: list[SignalOutcome]
    surprisals: list[F32]
    rules_part: F32
    change_part: F32
    multivariate_part: F32
    risk: F32


def compute(panel: Panel, config: DetectorConfig, first: int, last: int, lookback: int) -> Computation:
    """Run every detector on panel columns `first - lookback .. last` (the lookback feeds the runs)."""
    if not 0 <= first <= last < panel.months:
        msg = f"columns {first}..{last} are outside the panel's 0..{panel.months - 1}"
        raise IndexError(msg)
    start = max(0, first - lookback)
    cache = SeriesCache(panel, start, last, config.baseline, config.change.recent_months)
    industries = panel.industries
    rules = [
        evaluate_rule(rule, window, industries)
        for rule in config.rules
        if (window := cache.get((rule.indicator, rule.per))) is not None
    ]
    signals = [
        evaluate_signal(signal, window, config.change, industries)
        for signal in config.change.signals
        if (window := cache.get(signal.key)) is not None
    ]
    surprisals = [surprisal(outcome.z, config.change.z_cap, config.multivariate) for outcome in signals]
    zeros = np.zeros((last - start + 1, len(panel.firm_ids)), dtype=np.float32)
    parts = (
        rule_part(rules) if rules else zeros,
        change_part(signals, config.change) if signals else zeros,
        multivariate_part(surprisals, config.multivariate) if surprisals else zeros,
    )
    risk = combine(*parts, config.combination)
    return Computation(start, rules, signals, surprisals, *parts, risk=risk)
