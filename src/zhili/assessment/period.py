"""The assessment period: a calendar month in Asia/Shanghai (pure).

`Month.parse("2026-11")` is November 2026; its bounds are local midnights, as aware UTC instants, so
an event at 23:30 on 30 November in Quzhou counts in November whatever the server's zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from zhili.core.errors import InvalidInputError
from zhili.core.local_time import LOCAL_ZONE

PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
_SHAPE = re.compile(PATTERN)


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month; ordered; written `YYYY-MM`."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str, *, field: str = "month") -> Month:
        """`YYYY-MM`, or a 422 naming the field."""
        if not _SHAPE.match(text or ""):
            raise InvalidInputError(
                "a month is written YYYY-MM, e.g. 2026-11", errors=[{"field": field, "message": "YYYY-MM"}]
            )
        year, month = text.split("-")
        found = cls(int(year), int(month))
        if not 2000 <= found.year <= 2100:  # noqa: PLR2004 - the years the system keeps
            raise InvalidInputError("the month is out of range", errors=[{"field": field, "message": "2000–2100"}])
        return found

    @classmethod
    def of(cls, instant: datetime) -> Month:
        """The local month an instant falls in."""
        local = instant.astimezone(LOCAL_ZONE)
        return cls(local.year, local.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> datetime:
        """Local midnight on the first, as UTC."""
        return datetime(self.year, self.month, 1, tzinfo=LOCAL_ZONE).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The next month's start (exclusive)."""
        return self.next().start

    def next(self) -> Month:
        """The month after."""
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        """The month before."""
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def back(self, count: int) -> list[Month]:
        """This month and the `count - 1` before it, oldest first (a trend's months)."""
        months = [self]
        while len(months) < count:
            months.append(months[-1].previous())
        return months[::-1]
