"""Token buckets: a caller may send `burst` requests at once, then `rate` a second on average.

One `RateLimiter` keeps a bucket per key (an API key, a client address) in this process's memory:
with several processes each counts its own requests, so the limit a caller meets is per process.
Time is passed in (`now`, in seconds from any fixed origin: `time.monotonic()` in handlers), so the
rule is tested without waiting. The buckets held are bounded: past `max_keys` the least recently
used is forgotten, which can only let a forgotten caller start again with a full bucket.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from zhili.core.errors import TooManyRequestsError


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Buckets of `burst` tokens refilled at `rate` tokens a second, one per key; thread-safe."""

    def __init__(self, *, rate: float, burst: int, max_keys: int = 10_000) -> None:
        if rate <= 0 or burst < 1 or max_keys < 1:
            message = "a rate limiter needs rate > 0, burst >= 1 and max_keys >= 1"
            raise ValueError(message)
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, now: float) -> float:
        """Take one token for `key`: 0.0 when allowed, else the seconds until a token is there (nothing taken)."""
        with self._lock:
            bucket = self._buckets.pop(key, None)
            if bucket is None:
                bucket = _Bucket(tokens=float(self.burst), at=now)
            else:
                elapsed = max(0.0, now - bucket.at)
                bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
                bucket.at = max(bucket.at, now)
            self._buckets[key] = bucket  # most recently used last
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate

    def check(self, key: str, now: float, *, what: str) -> None:
        """`take`, raising a 429 (`TooManyRequestsError` with `retry_after` in whole seconds) when refused."""
        wait = self.take(key, now)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise TooManyRequestsError(f"too many requests from this {what}; retry in {seconds} s", retry_after=seconds)

    def __len__(self) -> int:
        """The number of buckets held."""
        return len(self._buckets)


def per_minute(count: float) -> float:
    """A rate given per minute, as tokens a second."""
    return count / 60.0


_MAKING = threading.Lock()


def app_limiter(app_state: Any, name: str, *, rate: float, burst: int) -> RateLimiter:
    """The application's limiter called `name` (one per process), made with `rate` and `burst` on first use."""
    with _MAKING:
        limiters: dict[str, RateLimiter] | None = getattr(app_state, "rate_limiters", None)
        if limiters is None:
            limiters = {}
            app_state.rate_limiters = limiters
        found = limiters.get(name)
        if found is None:
            found = limiters[name] = RateLimiter(rate=rate, burst=burst)
        return found


def check_client(limiter: RateLimiter, client: tuple[str, int] | None) -> None:
    """Take a token for the request's client address (`request.client`); 429 with Retry-After when it has none."""
    limiter.check(client[0] if client else "unknown", time.monotonic(), what="address")
