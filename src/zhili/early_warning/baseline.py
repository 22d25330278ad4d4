"""The plain baseline the detectors must beat: an Isolation Forest on each month's raw indicator levels. Pure.

Nothing per firm: each month, the firms' log levels of every indicator are one table (a missing value
takes the month's median), an Isolation Forest (scikit-learn, 100 trees, fixed seed) is fitted to it
and scores it; the score is the negated `score_samples`, so that higher means more anomalous.
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
from sklearn.ensemble import IsolationForest

from zhili.core.months import Month
from zhili.early_warning.panel import Panel


def baseline_scores(panel: Panel, first: Month, last: Month, seed: int = 0) -> npt.NDArray[np.float32]:
    """Isolation Forest anomaly scores `[firms, months]` for months `first..last` of `panel`."""
    start, stop = panel.column(first), panel.column(last)
    indicators = sorted(panel.values)
    scores = np.empty((len(panel.firm_ids), stop - start + 1), dtype=np.float32)
    for offset, column in enumerate(range(start, stop + 1)):
        table = np.column_stack([np.log1p(np.maximum(panel.values[key][:, column], 0)) for key in indicators])
        with warnings.catch_warnings():  # an indicator no firm reported this month has no median: 0
            warnings.simplefilter("ignore", RuntimeWarning)
            medians = np.nanmedian(table, axis=0)
        table = np.where(np.isnan(table), np.nan_to_num(medians)[None, :], table)
        forest = IsolationForest(n_estimators=100, random_state=seed + column).fit(table)
        scores[:, offset] = -forest.score_samples(table)
    return scores
