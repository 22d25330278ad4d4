"""What counting takes from one case, and the handling-time histogram (pure)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from zhili.analytics.facts import bucket_edges, bucket_of, fact_of, month_of, percentile
from zhili.analytics.models import BUCKETS
from zhili.cases.history import CaseRecord
from zhili.core.months import Month

REPORTED = datetime(2026, 6, 30, 17, 0, tzinfo=UTC)  # 1 July 01:00 in Quzhou
RECORD = CaseRecord(
    id=7,
    created_at=REPORTED,
    closed_at=REPORTED + timedelta(hours=30),
    place_code="330802006001001",
    matter_code="illegal_parking",
    unit_id=12,
    channel="hotline",
    status="archived",
    rating="basically_satisfied",
    reopen_count=0,
    rework_count=1,
    phases_ended=4,
    phases_late=1,
    handles_late=0,
    returns=0,
)


def test_a_closed_case_counts_in_its_local_month_and_township() -> None:
    fact = fact_of(RECORD)
    assert fact["month"] == Month.of(2026, 7).index
    assert (fact["county_code"], fact["township_code"]) == ("330802", "330802006")
    assert fact["hours"] == pytest.approx(30.0)
    assert fact["log_hours"] == pytest.approx(math.log(30))
    assert (fact["is_closed"], fact["is_open"], fact["is_rejected"]) == (1, 0, 0)
    assert (fact["is_complaint"], fact["is_rated"], fact["is_satisfied"]) == (1, 1, 1)
    assert fact["is_on_time"] == 1  # a late acceptance is not a late handling
    assert (fact["is_reworked"], fact["is_reopened"], fact["phases_late"]) == (1, 0, 1)


def test_a_late_handling_is_not_on_time_and_a_dissatisfied_rating_not_satisfied() -> None:
    fact = fact_of(replace(RECORD, handles_late=1, rating="dissatisfied", channel="phone"))
    assert (fact["is_on_time"], fact["is_satisfied"], fact["is_rated"], fact["is_complaint"]) == (0, 0, 1, 0)


def test_a_rejected_case_archived_is_neither_closed_nor_open() -> None:
    fact = fact_of(replace(RECORD, status="archived", closed_at=None, rating=None))
    assert (fact["is_closed"], fact["is_open"], fact["is_rejected"], fact["hours"]) == (0, 0, 1, None)


def test_an_open_case_has_no_handling_time() -> None:
    fact = fact_of(replace(RECORD, status="in_progress", closed_at=None, rating=None))
    assert (fact["is_open"], fact["is_closed"], fact["hours"], fact["bucket"], fact["is_on_time"]) == (
        1,
        0,
        None,
        None,
        0,
    )


def test_months_are_read_in_quzhou_time() -> None:
    assert month_of(datetime(2026, 1, 31, 16, 30, tzinfo=UTC)) == Month.of(2026, 2)
    assert month_of(datetime(2026, 1, 31, 15, 30, tzinfo=UTC)) == Month.of(2026, 1)


def test_every_time_falls_in_the_bucket_whose_edges_hold_it() -> None:
    for hours in (0.01, 0.5, 0.66, 0.65, 1, 7.3, 24, 100, 999, 4000):
        k = bucket_of(hours)
        low, high = bucket_edges(k)
        assert low <= hours < high or k in {0, BUCKETS - 1}
    assert bucket_of(1e9) == BUCKETS - 1


def test_percentiles_from_the_histogram_are_within_the_bucket_width() -> None:
    times = [0.8 * 1.07**i for i in range(120)]
    histogram = [0] * BUCKETS
    for hours in times:
        histogram[bucket_of(hours)] += 1
    exact_median = sorted(times)[59]
    assert percentile(histogram, 0.5) == pytest.approx(exact_median, rel=0.15)
    assert percentile(histogram, 0.9) == pytest.approx(sorted(times)[107], rel=0.15)
    assert percentile([0] * BUCKETS, 0.5) is None
