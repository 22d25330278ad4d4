"""The multivariate score: ECOD (empirical cumulative distribution outlier detection) on the change z-scores. Pure.

ECOD (Li et al., 2022) scores a point by the tail probabilities of each of its coordinates under the
empirical distribution of all points, summed as surprisals `-ln p`. Here the coordinates are the signed
change z-scores (the bad direction positive), so only the upper tail counts, and the reference is the
same month's cross-section of all firms. The z-scores are capped, so each month's distribution is
counted on a fine grid (`bins_per_unit` bins per unit of z) in one `bincount` for all months, and a
firm's tail chance is a table look-up. It is chosen over an Isolation Forest because it has no
training randomness, costs a few passes over the data, and its per-signal surprisals say which
indicators made a firm an outlier.
"""

from __future__ import annotations

import numpy as np

from zhili.early_warning.detect.change import squash
from zhili.early_warning.detect.config import MultivariateParams
from zhili.early_warning.detect.windows import F32, f32


def surprisal(z: F32, cap: float, params: MultivariateParams) -> F32:
    """`-ln P(Z >= z)` of each firm's value among its month's firms (time-major; NaN counts as 0)."""
    months, firms = z.shape
    bins = int(2 * cap * params.bins_per_unit) + 1
    grid = np.nan_to_num(z)
    np.minimum(grid, cap, out=grid)
    np.maximum(grid, -cap, out=grid)
    grid += np.float32(cap)
    grid *= np.float32(params.bins_per_unit)
    index = np.rint(grid).astype(np.intp)
    index += (np.arange(months) * bins)[:, None]
    counts = np.bincount(index.ravel(), minlength=months * bins).reshape(months, bins)
    at_or_above = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]  # firms in this bin or higher
    table = -np.log((at_or_above + 1) / (firms + 1)).astype(np.float32)
    return f32(table.ravel()[index])


def multivariate_part(surprisals: list[F32], params: MultivariateParams) -> F32:
    """The mean surprisal over signals, squashed into [0, 1)."""
    if not surprisals:
        msg = "multivariate_part needs at least one signal"
        raise ValueError(msg)
    total = np.zeros(surprisals[0].shape, dtype=np.float32)
    for values in surprisals:
        total += values
    return squash(total / np.float32(len(surprisals)), params.offset, params.scale)
