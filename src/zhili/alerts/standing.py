"""Whether an alert is still in force: what its state says, read against the clock (pure).

CAP's `expires` is optional; without it "each recipient is free to set its own policy as to when the
message is no longer in effect". Ours: an alert without `expires` is taken to be over `UNDATED_FOR`
after it was sent, unless an Update or a Cancel ended it first (its state then says so).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

ACTIVE: Final = "active"
EXPIRED: Final = "expired"
UNDATED_FOR: Final = timedelta(hours=72)


def standing(state: str, *, sent: datetime, expires: datetime | None, now: datetime) -> str:
    """The state to show: `expired` for an active alert past its `expires` (or past `UNDATED_FOR` without one)."""
    if state != ACTIVE:
        return state
    ends = expires if expires is not None else sent + UNDATED_FOR
    return EXPIRED if ends <= now else ACTIVE
