"""How good the warnings are against known arrears months: precision at capacity, recall, PR/ROC-AUC, lead time. Pure.

A firm-month (firm, t) is positive when the firm's arrears month falls in t+1..t+horizon, and leaves
the evaluation from its arrears month on (by then it is a case, not a warning). Scores and warning
flags are `[firms, months]` arrays from `first`; only months `start..end` are judged, so tuning (such
as `detect.grades.calibrate`) on earlier months and judging on later ones keeps the split by time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import average_precision_score, roc_auc_score

from zhili.core.months import Month

__all__ = ["Quality", "arrears_columns", "evaluate", "labels", "warned_at_rate"]

F32 = npt.NDArray[np.float32]
Flags = npt.NDArray[np.bool_]
Columns = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class Quality:
    """The figures of one evaluation (NaN where a figure is undefined, e.g. no positive at all)."""

    precision_at_capacity: float  # share of each month's top-`capacity` firms that fall into arrears in the horizon
    recall: float  # share of arrears events warned in the `horizon` months before them
    pr_auc: float  # average precision over eligible firm-months
    roc_auc: float
    median_lead_months: float  # months from the first warning (within `lookback`) to the arrears month
    warnings_per_100k: float  # warned firm-months per 100,000 eligible firm-months
    capacity: int
    months: int
    firm_months: int  # eligible firm-months judged
    positives: int  # of them, positive
    events: int  # arrears events in the judged months
    warned_events: int

    def as_dict(self) -> dict[str, Any]:
        """Plain values (NaN as None), for JSON and the CLI."""
        return {
            key: None if isinstance(value, float) and math.isnan(value) else value
            for key, value in asdict(self).items()
        }


def arrears_columns(months: Sequence[Month | None], first: Month) -> Columns:
    """Arrears months (None: never) as columns from `first`, -1 for none, as `evaluate` reads them."""
    return np.array([-1 if month is None else month - first for month in months], dtype=np.int32)


def labels(arrears: Columns, columns: npt.NDArray[np.intp], horizon: int) -> tuple[Flags, Flags]:
    """(positive, eligible) `[firms, len(columns)]` for the given score columns."""
    due = arrears[:, None]
    has = due >= 0
    positive = has & (due > columns[None, :]) & (due <= columns[None, :] + horizon)
    eligible = ~(has & (due <= columns[None, :]))
    return positive, eligible


def _precision_at(scores: F32, positive: Flags, eligible: Flags, capacity: int) -> float:
    hits = taken = 0
    for column in range(scores.shape[1]):
        rows = np.flatnonzero(eligible[:, column])
        take = min(capacity, rows.size)
        if take == 0:
            continue
        order = np.argpartition(-np.nan_to_num(scores[rows, column], nan=-np.inf), take - 1)[:take]
        hits += int(positive[rows[order], column].sum())
        taken += take
    return hits / taken if taken else math.nan


def _events(
    warned: Flags, arrears: Columns, span: tuple[int, int], horizon: int, lookback: int
) -> tuple[int, int, list[int]]:
    """(events, warned within the horizon, lead months of those warned within the lookback)."""
    start, end = span
    rows = np.flatnonzero((arrears >= start) & (arrears <= end))
    caught, leads = 0, []
    for row in rows:  # one per arrears event, a small number
        due = int(arrears[row])
        if warned[row, max(0, due - horizon) : due].any():
            caught += 1
        early = np.flatnonzero(warned[row, max(0, due - lookback) : due])
        if early.size:
            leads.append(min(due, lookback) - int(early[0]))
    return rows.size, caught, leads


def evaluate(
    scores: F32,
    warned: Flags,
    arrears: Columns,
    first: Month,
    span: tuple[Month, Month],
    *,
    capacity: int,
    horizon: int = 3,
    lookback: int = 6,
) -> Quality:
    """The quality of `scores` and `warned` (`[firms, months]` from `first`) over months `span` (both included).

    `arrears` gives each firm's arrears month as a column from `first` (-1: none; it may lie past the
    scores). Events are the arrears months inside `span`; a warning counts for recall in the `horizon`
    months before its event and for lead time in the `lookback` months before it.
    """
    start, end = span[0] - first, span[1] - first
    if not 0 <= start <= end < scores.shape[1] or warned.shape != scores.shape or capacity < 1:
        msg = f"span {span[0]}..{span[1]} must lie in the scores from {first}, flags match scores, capacity >= 1"
        raise ValueError(msg)
    columns = np.arange(start, end + 1)
    positive, eligible = labels(arrears, columns, horizon)
    judged, flags = scores[:, columns], warned[:, columns]
    truth, values = positive[eligible], np.nan_to_num(judged[eligible], nan=-np.inf)
    both = 0 < truth.sum() < truth.size
    events, caught, leads = _events(warned, arrears, (start, end), horizon, lookback)
    return Quality(
        precision_at_capacity=_precision_at(judged, positive, eligible, capacity),
        recall=caught / events if events else math.nan,
        pr_auc=float(average_precision_score(truth, values)) if both else math.nan,
        roc_auc=float(roc_auc_score(truth, values)) if both else math.nan,
        median_lead_months=float(np.median(leads)) if leads else math.nan,
        warnings_per_100k=100_000 * float(flags[eligible].sum()) / max(int(eligible.sum()), 1),
        capacity=capacity,
        months=columns.size,
        firm_months=int(eligible.sum()),
        positives=int(truth.sum()),
        events=events,
        warned_events=caught,
    )


def warned_at_rate(scores: F32, training: F32, per_100k: float) -> Flags:
    """Flags for `scores` above the cut-off that warns `per_100k` firms a month on `training` scores."""
    finite = training[np.isfinite(training)]
    cutoff = np.quantile(finite, 1 - per_100k / 100_000) if finite.size else np.inf
    return np.nan_to_num(scores, nan=-np.inf) >= cutoff
