"""Judge the detectors on any panel against known arrears months, beside the plain baseline. Pure.

What `zhili warnings evaluate --labels FILE` calls once it has loaded the panel and the labels: the
risk of every firm in each month that has a full year of history (`detect.assess.score_history`), warnings
at the config's yellow cut-off, and the quality figures (`evaluation.evaluate`) over the judged
months. With `tune_months`, the grade cut-offs are first calibrated to `rates` on that many early
months, and only the months after them are judged (the split by time). The baseline's warnings are
set to the same rate as ours over the months it is not judged on when tuning, else over all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zhili.core.months import Month
from zhili.early_warning.baseline import baseline_scores
from zhili.early_warning.detect.assess import score_history
from zhili.early_warning.detect.config import DetectorConfig
from zhili.early_warning.detect.grades import Grade, calibrate, grade
from zhili.early_warning.evaluation import F32, Columns, Flags, Quality, evaluate, labels, warned_at_rate
from zhili.early_warning.panel import Panel


@dataclass(frozen=True, slots=True)
class Judgement:
    """Ours and the baseline over the judged months, with the config as used (calibrated if asked)."""

    ours: Quality
    baseline: Quality | None
    scored: tuple[Month, Month]
    judged: tuple[Month, Month]
    config: DetectorConfig
    scores: F32  # [firms, scored months] our risk
    warned: Flags  # [firms, scored months] graded yellow or above


@dataclass(frozen=True, slots=True)
class Protocol:
    """How to judge: inspection capacity a month, label horizon, lead look-back, tuning months and rates."""

    capacity: int
    horizon: int = 3
    lookback: int = 6
    tune_months: int = 0
    rates: tuple[float, float, float] = (1_500.0, 500.0, 150.0)  # yellow, orange, red per 100,000 a month
    with_baseline: bool = True
    seed: int = 0


def judge(panel: Panel, config: DetectorConfig, arrears: Columns, protocol: Protocol) -> Judgement:
    """Score `panel` from its second year, optionally tune on early months, and judge the rest.

    `arrears` is each firm's arrears month as a column from `panel.first` (-1 none), as
    `evaluation.arrears_columns` makes it from a labels file.
    """
    scored_from = panel.first + config.baseline.window
    if scored_from + protocol.tune_months > panel.last:
        msg = f"the panel ({panel.first} to {panel.last}) is too short to score from {scored_from} and tune"
        raise ValueError(msg)
    history = score_history(panel, config, scored_from, panel.last)
    columns = arrears - config.baseline.window  # columns of the scores
    tune = protocol.tune_months
    # firms already in arrears are known cases, not candidates: they set no cut-off
    _, open_firms = labels(columns, np.arange(history.shape[1]), protocol.horizon)
    reference = slice(0, tune) if tune else slice(None)
    if tune:
        config = calibrate(config, np.where(open_firms[:, reference], history[:, reference], np.nan), protocol.rates)
    warned = grade(history, config.grades) >= Grade.YELLOW
    judged = (scored_from + tune, panel.last)
    settings = {"capacity": protocol.capacity, "horizon": protocol.horizon, "lookback": protocol.lookback}
    ours = evaluate(history, warned, columns, scored_from, judged, **settings)
    theirs = None
    if protocol.with_baseline:
        base = baseline_scores(panel, scored_from, panel.last, protocol.seed)
        rate = float(warned[:, reference][open_firms[:, reference]].mean() * 100_000)
        base_warned = warned_at_rate(base, np.where(open_firms[:, reference], base[:, reference], np.nan), rate)
        theirs = evaluate(base, base_warned, columns, scored_from, judged, **settings)
    return Judgement(ours, theirs, (scored_from, panel.last), judged, config, history, warned)
