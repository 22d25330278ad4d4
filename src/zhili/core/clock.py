"""The Clock: the only source of "now", injected so tests can freeze and step time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current aware UTC time."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """The current time from the operating system."""
        return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until it is moved; for tests and the demo's stepping clock."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            message = "FrozenClock needs an aware datetime"
            raise ValueError(message)
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The time the clock was last set to."""
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward and return the new time."""
        self._now += delta
        return self._now


class OffsetClock:
    """A clock running ahead of another by an offset read on every call (the demo's movable clock)."""

    def __init__(self, base: Clock, offset: Callable[[], timedelta]) -> None:
        self._base = base
        self._offset = offset

    def now(self) -> datetime:
        """The base clock's time plus the current offset."""
        return self._base.now() + self._offset()
