"""The token bucket: a burst at once, then the rate; keys apart; memory bounded; a 429 that says when."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhili.core.errors import TooManyRequestsError
from zhili.core.rate_limit import RateLimiter, per_minute


def test_a_burst_then_the_rate() -> None:
    limiter = RateLimiter(rate=1.0, burst=3)
    assert [limiter.take("a", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a", 0.0) == pytest.approx(1.0)
    assert limiter.take("a", 0.5) == pytest.approx(0.5)  # half a token back: half a second to wait
    assert limiter.take("a", 1.0) == 0.0
    assert limiter.take("a", 1.0) > 0


def test_keys_have_buckets_of_their_own() -> None:
    limiter = RateLimiter(rate=1.0, burst=1)
    assert limiter.take("a", 0.0) == 0.0
    assert limiter.take("a", 0.0) > 0
    assert limiter.take("b", 0.0) == 0.0


def test_a_bucket_never_holds_more_than_the_burst() -> None:
    limiter = RateLimiter(rate=10.0, burst=2)
    limiter.take("a", 0.0)
    assert [limiter.take("a", 1000.0) for _ in range(3)][:2] == [0.0, 0.0]
    assert limiter.take("a", 1000.0) > 0


def test_the_buckets_held_are_bounded_least_recently_used_first() -> None:
    limiter = RateLimiter(rate=0.001, burst=1, max_keys=2)
    limiter.take("a", 0.0)
    limiter.take("b", 0.0)
    limiter.take("c", 0.0)
    assert len(limiter) == 2
    assert limiter.take("c", 0.0) > 0  # kept
    assert limiter.take("a", 0.0) == 0.0  # forgotten: a full bucket again


def test_check_raises_a_429_with_retry_after() -> None:
    limiter = RateLimiter(rate=per_minute(6), burst=1)
    limiter.check("a", 0.0, what="key")
    with pytest.raises(TooManyRequestsError) as refused:
        limiter.check("a", 0.0, what="key")
    assert refused.value.status == 429
    assert refused.value.extra["retry_after"] == 10


def test_time_going_backwards_gives_nothing_back() -> None:
    limiter = RateLimiter(rate=1.0, burst=1)
    limiter.take("a", 10.0)
    assert limiter.take("a", 5.0) > 0


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
def test_a_limiter_needs_a_rate_and_a_burst(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="rate"):
        RateLimiter(rate=rate, burst=burst)


@given(
    rate=st.floats(min_value=0.01, max_value=100),
    burst=st.integers(min_value=1, max_value=50),
    times=st.lists(st.floats(min_value=0, max_value=1000), min_size=1, max_size=200),
)
def test_never_more_than_the_burst_plus_the_rate_over_the_time(rate: float, burst: int, times: list[float]) -> None:
    limiter = RateLimiter(rate=rate, burst=burst)
    ordered = sorted(times)
    allowed = sum(1 for now in ordered if limiter.take("k", now) == 0.0)
    assert allowed <= burst + rate * (ordered[-1] - ordered[0]) + 1e-6
