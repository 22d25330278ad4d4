"""The demo clock: wall-clock time plus an offset stored in the database, moved by `zhili clock advance`.

The server, the worker and the CLI are separate processes; the offset lives in one row so all of
them agree on "now". Read at most once a second per process.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhili.clocks import offsets
from zhili.core.clock import Clock, OffsetClock, SystemClock
from zhili.core.db import make_session_factory

ROW = "demo"
REFRESH_SECONDS = 1.0


class StoredOffset:
    """The stored offset, re-read when older than `REFRESH_SECONDS`."""

    def __init__(self, engine: Engine) -> None:
        # A read-only (DEFERRED) session: "now" is often asked inside a write transaction of the same
        # process, and a second writer there would wait for the first.
        self._sessions = make_session_factory(engine, read_only=True)
        self._lock = threading.Lock()
        self._read_at = float("-inf")
        self._value = timedelta(0)

    def __call__(self) -> timedelta:
        """The current offset."""
        with self._lock:
            if time.monotonic() - self._read_at >= REFRESH_SECONDS:
                with self._sessions() as session:
                    self._value = read_offset(session)
                self._read_at = time.monotonic()
            return self._value


_DURATION = re.compile(r"(\d+)\s*([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_duration(text: str) -> timedelta:
    """`"2h"`, `"3d"`, `"1d6h30m"` as a timedelta; ValueError on anything else."""
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(compact)
    if not compact or "".join(f"{n}{u}" for n, u in parts) != compact:
        message = f"not a duration: {text!r} (use days, hours and minutes such as 1d6h30m)"
        raise ValueError(message)
    return sum((timedelta(**{_UNITS[unit]: int(n)}) for n, unit in parts), timedelta(0))


def demo_clock(engine: Engine, base: Clock | None = None) -> Clock:
    """A clock that follows the stored demo offset."""
    return OffsetClock(base or SystemClock(), StoredOffset(engine))


def read_offset(session: Session) -> timedelta:
    """The stored offset (zero when the clock was never moved)."""
    return offsets.read_offset(session, ROW)


def advance(session: Session, delta: timedelta, *, now: datetime) -> timedelta:
    """Move the demo clock forward (or reset it with a negative delta down to zero); the new offset."""
    return offsets.move_offset(session, ROW, delta, now=now)
