"""What a warning says: `Finding` (which detector, which indicator moved, by how much, since when) and `FirmRisk`.

Both have a JSON form (`to_json()` / `from_json()`) of plain values, stored with each warning and shown
on the pages; non-finite numbers are written as null.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from zhili.core.months import Month
from zhili.early_warning.detect.grades import Grade
from zhili.early_warning.indicators import Indicator


class DetectorKind(StrEnum):
    """Which detector produced a finding. Labels: `detector.<value>`."""

    RULE = "rule"
    CHANGE = "change"
    MULTIVARIATE = "multivariate"


def _number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 6)


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason for a warning.

    `rule_id` names the rule (kind `rule`) or is None; `indicator` (and `per`, for a ratio such as wages
    paid per wages due) name the series; `baseline` is what the month was compared with (the firm's own
    trailing median, last year's month, the industry-adjusted median, or for a `level` rule the own
    median for context), `current` the month's value, `relative_change` = current / baseline - 1 (None
    when the baseline is 0 or unknown), `since` the first month of the run of `consecutive_months`, and
    `score` the z-score (change) or surprisal `-ln p` (multivariate), None for a rule.
    """

    kind: DetectorKind
    rule_id: str | None
    indicator: Indicator | None
    per: Indicator | None
    since: Month | None
    baseline: float | None
    current: float | None
    relative_change: float | None
    consecutive_months: int
    score: float | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values; months as `YYYY-MM`."""
        return {
            "kind": self.kind.value,
            "rule_id": self.rule_id,
            "indicator": None if self.indicator is None else self.indicator.value,
            "per": None if self.per is None else self.per.value,
            "since": None if self.since is None else str(self.since),
            "baseline": _number(self.baseline),
            "current": _number(self.current),
            "relative_change": _number(self.relative_change),
            "consecutive_months": self.consecutive_months,
            "score": _number(self.score),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        """The finding `to_json` wrote."""
        return cls(
            kind=DetectorKind(data["kind"]),
            rule_id=data["rule_id"],
            indicator=None if data["indicator"] is None else Indicator(data["indicator"]),
            per=None if data.get("per") is None else Indicator(data["per"]),
            since=None if data["since"] is None else Month.parse(data["since"]),
            baseline=data["baseline"],
            current=data["current"],
            relative_change=data["relative_change"],
            consecutive_months=int(data["consecutive_months"]),
            score=data.get("score"),
        )


def relative_change(current: float, baseline: float) -> float | None:
    """`current / baseline - 1`, or None when it means nothing (baseline 0 or missing)."""
    if not (math.isfinite(current) and math.isfinite(baseline)) or baseline == 0:
        return None
    return current / baseline - 1


@dataclass(frozen=True, slots=True)
class FirmRisk:
    """A graded firm in one month: its risk, each detector's part and the findings behind them."""

    firm_id: int
    month: Month
    risk: float
    grade: Grade
    rules_part: float
    change_part: float
    multivariate_part: float
    findings: tuple[Finding, ...]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values; the grade by name (`red`)."""
        return {
            "firm_id": self.firm_id,
            "month": str(self.month),
            "risk": _number(self.risk),
            "grade": self.grade.key,
            "rules_part": _number(self.rules_part),
            "change_part": _number(self.change_part),
            "multivariate_part": _number(self.multivariate_part),
            "findings": [finding.to_json() for finding in self.findings],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FirmRisk:
        """The firm risk `to_json` wrote."""
        return cls(
            firm_id=int(data["firm_id"]),
            month=Month.parse(data["month"]),
            risk=float(data["risk"]),
            grade=Grade.from_key(data["grade"]),
            rules_part=float(data["rules_part"]),
            change_part=float(data["change_part"]),
            multivariate_part=float(data["multivariate_part"]),
            findings=tuple(Finding.from_json(item) for item in data["findings"]),
        )
