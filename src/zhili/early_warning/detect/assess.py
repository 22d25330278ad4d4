"""`assess` (every firm's risk, grade and findings in one month) and `score_history` (risk over months). Pure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from zhili.core.months import Month
from zhili.early_warning.detect.compute import compute
from zhili.early_warning.detect.config import DetectorConfig
from zhili.early_warning.detect.explain import explain
from zhili.early_warning.detect.findings import FirmRisk
from zhili.early_warning.detect.grades import Grade, Grades, grade
from zhili.early_warning.detect.windows import F32
from zhili.early_warning.panel import Panel


@dataclass(frozen=True, slots=True)
class MonthAssessment:
    """Every firm's risk and grade in `month` (arrays in panel row order) and the graded firms, riskiest first."""

    month: Month
    firm_ids: npt.NDArray[np.int64]
    scores: F32  # [firms], risk in [0, 1)
    grades: Grades  # [firms], `Grade` values
    risks: tuple[FirmRisk, ...]  # the firms graded yellow or above, with their findings

    def grade_of(self, row: int) -> Grade:
        """The grade of the firm in panel row `row`."""
        return Grade(int(self.grades[row]))


def assess(panel: Panel, config: DetectorConfig, month: Month) -> MonthAssessment:
    """Score, grade and explain every firm of `panel` in `month` (a month the panel spans)."""
    column = panel.column(month)
    lookback = max(config.longest_run - 1, config.baseline.since_lookback)
    computation = compute(panel, config, column, column, lookback)
    row = column - computation.start
    scores = computation.risk[row].copy()
    grades = grade(scores, config.grades)
    graded = np.flatnonzero(grades > 0)
    graded = graded[np.argsort(-scores[graded], kind="stable")]
    findings = explain(computation, config, graded, row, month)
    risks = tuple(
        FirmRisk(
            firm_id=int(panel.firm_ids[firm]),
            month=month,
            risk=float(scores[firm]),
            grade=Grade(int(grades[firm])),
            rules_part=float(computation.rules_part[row, firm]),
            change_part=float(computation.change_part[row, firm]),
            multivariate_part=float(computation.multivariate_part[row, firm]),
            findings=tuple(findings[int(firm)]),
        )
        for firm in graded
    )
    return MonthAssessment(month, panel.firm_ids, scores, grades, risks)


def score_history(panel: Panel, config: DetectorConfig, first: Month, last: Month) -> F32:
    """Risk `[firms, months]` of every firm in each month `first..last` (the same figure `assess` gives)."""
    if last < first:
        msg = f"the last month {last} comes before the first {first}"
        raise ValueError(msg)
    start, stop = panel.column(first), panel.column(last)
    computation = compute(panel, config, start, stop, config.longest_run - 1)
    return np.ascontiguousarray(computation.risk[start - computation.start :].T)
