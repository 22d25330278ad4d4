"""Quality figures on hand-made cases, checked against scikit-learn where it has the same measure."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from zhili.core.months import Month
from zhili.early_warning.evaluation import arrears_columns, evaluate, labels, warned_at_rate

FIRST = Month.of(2025, 1)


def test_labels_mark_the_horizon_and_drop_months_from_the_arrears_month_on() -> None:
    positive, eligible = labels(np.array([5, -1], dtype=np.int32), np.arange(8), horizon=3)
    assert positive[0].tolist() == [False, False, True, True, True, False, False, False]
    assert eligible[0].tolist() == [True] * 5 + [False] * 3
    assert not positive[1].any()
    assert eligible[1].all()


def test_arrears_columns_count_from_the_first_month() -> None:
    assert arrears_columns([Month.of(2025, 4), None], FIRST).tolist() == [3, -1]


def test_a_hand_made_case() -> None:
    # firm 0 falls into arrears in column 4 and is warned from column 2; firm 1 in column 5, never warned;
    # firms 2-5 never fall into arrears, firm 2 is warned once by mistake
    scores = np.zeros((6, 6), dtype=np.float32)
    scores[0, 2:4] = 0.9
    scores[2, 3] = 0.8
    scores[1, :] = 0.1
    warned = scores >= 0.5
    arrears = np.array([4, 5, -1, -1, -1, -1], dtype=np.int32)
    quality = evaluate(scores, warned, arrears, FIRST, (FIRST + 2, FIRST + 5), capacity=1, horizon=3)
    assert quality.events == 2
    assert quality.warned_events == 1
    assert quality.recall == 0.5
    assert quality.median_lead_months == 2
    # columns 2..5: top-1 is firm 0 (positive) in 2 and 3; in 4 firm 1 (positive); in 5 a tie among negatives
    assert quality.precision_at_capacity == pytest.approx(3 / 4)
    positive, eligible = labels(arrears, np.arange(2, 6), 3)
    truth, values = positive[eligible], scores[:, 2:][eligible]
    assert quality.roc_auc == pytest.approx(roc_auc_score(truth, values))
    assert quality.pr_auc == pytest.approx(average_precision_score(truth, values))
    assert quality.firm_months == int(eligible.sum())
    assert quality.warnings_per_100k == pytest.approx(100_000 * 3 / eligible.sum())


def test_perfect_scores_are_perfect() -> None:
    arrears = np.array([6, 7, -1, -1], dtype=np.int32)
    columns = np.arange(8)
    positive, _ = labels(arrears, columns, 3)
    scores = positive.astype(np.float32)
    quality = evaluate(scores, positive, arrears, FIRST, (FIRST, FIRST + 7), capacity=2)
    assert (quality.roc_auc, quality.pr_auc, quality.recall, quality.median_lead_months) == (1, 1, 1, 3)


def test_no_positive_gives_nan_not_an_error() -> None:
    scores = np.random.default_rng(0).random((5, 4)).astype(np.float32)
    quality = evaluate(scores, scores > 1, np.full(5, -1, dtype=np.int32), FIRST, (FIRST, FIRST + 3), capacity=2)
    assert math.isnan(quality.roc_auc)
    assert quality.as_dict()["roc_auc"] is None
    assert quality.precision_at_capacity == 0


def test_a_span_outside_the_scores_is_refused() -> None:
    scores = np.zeros((2, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="span"):
        evaluate(scores, scores > 0, np.full(2, -1, dtype=np.int32), FIRST, (FIRST, FIRST + 3), capacity=1)


def test_a_rate_sets_the_cut_off_on_training_scores() -> None:
    training = np.arange(100_000, dtype=np.float32).reshape(1000, 100)
    flags = warned_at_rate(training, training, 1_000)
    assert flags.sum() == pytest.approx(1_000, abs=2)
