"""Retry timing: exponential back-off with jitter, capped, and the lease a worker takes on a message."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to try: `max_attempts` in all, delays growing from `base` up to `cap`.

    `lease` is how long a claimed message stays invisible to other workers while it is sent;
    a worker that dies leaves it to come due again when the lease runs out.
    """

    max_attempts: int = 10
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=5)

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> timedelta:
        """The wait after failed attempt number `attempt` (1-based): base·2^(n-1), capped, 50-100 % of it.

        The jitter spreads retries of messages that failed together (a receiver that was down),
        so they do not all come back at the same instant.
        """
        ceiling = min(self.cap.total_seconds(), self.base.total_seconds() * 2 ** min(attempt - 1, 30))
        return timedelta(seconds=ceiling * (0.5 + 0.5 * rand()))

    def is_last(self, attempt: int) -> bool:
        """True when no attempt follows this one."""
        return attempt >= self.max_attempts
