"""Times as people in Quzhou read them: Asia/Shanghai (China Standard Time, no daylight saving)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

# A fixed offset needs no time-zone database: China has kept UTC+8 all year since 1991.
LOCAL_ZONE = timezone(timedelta(hours=8), "Asia/Shanghai")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def to_local(value: datetime) -> datetime:
    """A stored (aware, UTC) time in local time."""
    return value.astimezone(LOCAL_ZONE)


def local_datetime(value: datetime | None, language: str = "zh") -> str:
    """`2026年12月3日 17:30` (zh) or `3 Dec 2026 17:30` (en); empty for no time."""
    if value is None:
        return ""
    at = to_local(value)
    if language == "en":
        return f"{at.day} {MONTHS_EN[at.month - 1]} {at.year} {at:%H:%M}"
    return f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"


def local_short(value: datetime | None, now: datetime | None = None, language: str = "zh") -> str:
    """A compact time for lists and messages: the year only when it is not `now`'s year."""
    if value is None:
        return ""
    at = to_local(value)
    if now is not None and to_local(now).year != at.year:
        return local_datetime(value, language)
    if language == "en":
        return f"{at.day} {MONTHS_EN[at.month - 1]} {at:%H:%M}"
    return f"{at.month}月{at.day}日 {at:%H:%M}"


def from_local_input(value: str) -> str:
    """A browser's `datetime-local` value (no zone) read as Quzhou time, as ISO 8601 with its offset.

    A value that already has a zone is kept as it is; one that is not a date and time is returned
    unchanged, so the check that follows names the field.
    """
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LOCAL_ZONE)
    return parsed.isoformat()


def to_local_input(value: str) -> str:
    """The inverse of `from_local_input`: a stored time with its zone as a `datetime-local` value in Quzhou time.

    A value without a zone, or not a date and time, is returned unchanged.
    """
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return to_local(parsed).strftime("%Y-%m-%dT%H:%M") if parsed.tzinfo is not None else value
