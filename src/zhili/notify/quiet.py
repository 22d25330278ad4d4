"""Quiet hours: whether a local time falls in a person's quiet window and when that window ends."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta, timezone

# China Standard Time has no daylight saving: quiet hours are read in Asia/Shanghai local time.
LOCAL_ZONE = timezone(timedelta(hours=8), "CST")
HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(value: str) -> time:
    """A "HH:MM" local time; ValueError for anything else."""
    match = HHMM.match(value)
    if match is None:
        message = f"not a time of day as HH:MM: {value!r}"
        raise ValueError(message)
    return time(int(match.group(1)), int(match.group(2)))


def quiet_until(now: datetime, start: str, end: str) -> datetime | None:
    """When the quiet window [start, end) that holds `now` ends (aware UTC), or None outside it.

    A window whose end is not after its start wraps past midnight (22:00-07:00); an empty
    window (start == end) is never quiet.
    """
    begin, finish = parse_hhmm(start), parse_hhmm(end)
    if begin == finish:
        return None
    local = now.astimezone(LOCAL_ZONE)
    clock = local.time().replace(tzinfo=None)
    inside = begin <= clock < finish if begin < finish else clock >= begin or clock < finish
    if not inside:
        return None
    ends = local.replace(hour=finish.hour, minute=finish.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends.astimezone(UTC)
