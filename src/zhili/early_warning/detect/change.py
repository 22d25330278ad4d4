"""The robust change score: how far each signal's recent level moved from the firm's own history. Pure.

For a signal (log1p of the series), with the firm's trailing window before the month:
signed so that the bad direction is positive, `r = (recent - median) - seasonal_weight × max(0, recent
a year before - median)`: only last year's deviation in the bad direction counts as seasonal. Then the
median `r` of the firm's industry that month is subtracted (a move the whole industry makes, such as
the Spring Festival, is nobody's warning), and the result divided by the firm's own spread (IQR /
1.349, at least `min_scale`). The part is the logistic `squash(Σ weight × clip(z, 0, cap))`
= `1 / (1 + exp(-(x - offset) / scale))`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import expit

from zhili.early_warning.detect.config import ChangeParams, Direction, Signal
from zhili.early_warning.detect.rules import Runs, runs
from zhili.early_warning.detect.series import SeriesWindow, industry_median
from zhili.early_warning.detect.windows import F32, f32

_IQR_TO_SIGMA = np.float32(1.349)


@dataclass(frozen=True, slots=True)
class SignalOutcome:
    """One signal's z-score (bad direction positive, NaN when there is no baseline) over the target months."""

    signal: Signal
    window: SeriesWindow
    z: F32
    run: Runs  # consecutive months, ending at each month, with z >= explain_z


def signal_z(signal: Signal, window: SeriesWindow, params: ChangeParams, industries: npt.NDArray[np.int16]) -> F32:
    """The signed, industry-relative, seasonally adjusted robust z-score of `signal`."""
    stats = window.stats
    level = np.maximum(stats.median, np.float32(0))
    centre = np.log1p(level)
    # the interquartile range on the log1p scale, to first order (saves two logarithms of every value)
    spread = (stats.upper_quartile - stats.lower_quartile) / ((1 + level) * _IQR_TO_SIGMA)
    scale = np.fmax(spread, np.float32(params.min_scale))
    sign = np.float32(-1 if signal.direction is Direction.BELOW else 1)
    # only the part of last year's deviation in the bad direction is seasonal: a dip every winter is
    # explained, but a peak last year does not make this year's normal month look bad
    seasonal = np.fmax(sign * (window.recent_log_last_year - centre), np.float32(0))  # fmax: NaN (no last year) is 0
    moved = sign * (window.recent_log - centre) - np.float32(params.seasonal_weight) * seasonal
    moved -= industry_median(moved, industries, missing=0.0)
    cap = np.float32(params.z_cap)
    z = f32(moved / scale)
    np.minimum(z, cap, out=z)  # np.clip is several times slower on large arrays; NaN stays NaN
    np.maximum(z, -cap, out=z)
    return z


def evaluate_signal(
    signal: Signal, window: SeriesWindow, params: ChangeParams, industries: npt.NDArray[np.int16]
) -> SignalOutcome:
    """The signal's z-scores and how long each has been past `explain_z`."""
    z = signal_z(signal, window, params, industries)
    with np.errstate(invalid="ignore"):
        far = z >= params.explain_z
    return SignalOutcome(signal, window, z, runs(far))


def change_part(outcomes: list[SignalOutcome], params: ChangeParams) -> F32:
    """The change part in [0, 1) per firm and month; a signal without a baseline adds nothing."""
    if not outcomes:
        msg = "change_part needs at least one signal outcome"
        raise ValueError(msg)
    total = np.zeros(outcomes[0].z.shape, dtype=np.float32)
    for outcome in outcomes:
        total += np.float32(outcome.signal.weight) * np.fmax(outcome.z, np.float32(0))  # fmax: NaN counts 0
    return squash(total, params.offset, params.scale)


def squash(value: F32, offset: float, scale: float) -> F32:
    """The logistic `1 / (1 + exp(-(value - offset) / scale))`: 0.5 at `offset`, towards 1 above it.

    Strictly increasing, so that weak signals below the offset still rank firms instead of tying
    them all at 0 (which costs ranking quality).
    """
    return f32(expit((value - np.float32(offset)) / np.float32(scale)))
