"""The findings behind graded firms: which rules fired, which signals moved, which made a firm an outlier. Pure.

The loops run over rules and signals and over the findings they produce, never over all firms.
Order within a firm: rules (heaviest first), then change signals (largest z), then outlying signals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from zhili.core.months import Month
from zhili.early_warning.detect.compute import Computation
from zhili.early_warning.detect.config import DetectorConfig
from zhili.early_warning.detect.findings import DetectorKind, Finding, relative_change
from zhili.early_warning.detect.rules import Runs
from zhili.early_warning.detect.windows import F32
from zhili.early_warning.indicators import Indicator


@dataclass(frozen=True, slots=True)
class _Source:
    """Where the numbers of one kind of finding come from (time-major arrays of the computation)."""

    kind: DetectorKind
    rule_id: str | None
    indicator: Indicator
    per: Indicator | None
    baseline: F32
    current: F32
    run: Runs | None
    score: F32 | None

    def finding(self, row: int, firm: int, month: Month) -> Finding:
        baseline, current = float(self.baseline[row, firm]), float(self.current[row, firm])
        run = 1 if self.run is None else max(int(self.run[row, firm]), 1)
        return Finding(
            kind=self.kind,
            rule_id=self.rule_id,
            indicator=self.indicator,
            per=self.per,
            since=month + (1 - run),
            baseline=baseline,
            current=current,
            relative_change=relative_change(current, baseline),
            consecutive_months=run,
            score=None if self.score is None else float(self.score[row, firm]),
        )


def _sources(computation: Computation, config: DetectorConfig, row: int) -> list[tuple[_Source, F32, float]]:
    """Each source with its rank value per firm at `row` and the least value that makes a finding."""
    sources: list[tuple[_Source, F32, float]] = []
    for rule in computation.rules:
        spec = rule.rule
        source = _Source(
            DetectorKind.RULE, spec.id, spec.indicator, spec.per, rule.baseline, rule.current, rule.run, None
        )
        fired = np.where(rule.fired(row), np.float32(3 + spec.weight), np.float32(0))
        sources.append((source, fired, 3.0))
    for signal, surprise in zip(computation.signals, computation.surprisals, strict=True):
        window, (indicator, per) = signal.window, signal.signal.key
        median, current = window.stats.median, window.current
        change = _Source(DetectorKind.CHANGE, None, indicator, per, median, current, signal.run, signal.z)
        sources.append((change, 1 + signal.z[row] / 100, 1 + config.change.explain_z / 100))
        outlier = _Source(DetectorKind.MULTIVARIATE, None, indicator, per, median, current, None, surprise)
        sources.append((outlier, surprise[row] / 1000, config.multivariate.explain_surprisal / 1000))
    return sources


def explain(
    computation: Computation, config: DetectorConfig, firms: npt.NDArray[np.intp], row: int, month: Month
) -> dict[int, list[Finding]]:
    """Findings of `firms` (panel rows) at computation row `row` (the month `month`), strongest first."""
    found: dict[int, list[tuple[float, Finding]]] = {int(firm): [] for firm in firms}
    for source, rank, least in _sources(computation, config, row):
        with np.errstate(invalid="ignore"):
            hits = firms[rank[firms] >= np.float32(least)]
        for firm in hits:
            found[int(firm)].append((float(rank[firm]), source.finding(row, int(firm), month)))
    return {firm: [finding for _, finding in sorted(pairs, key=lambda pair: -pair[0])] for firm, pairs in found.items()}
