"""`Month`: a calendar month as one integer (year * 12 + month - 1), read and written as YYYY-MM. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final, Self

_PATTERN: Final = re.compile(r"^(\d{4})-(\d{2})$")
PATTERN: Final = r"^\d{4}-(0[1-9]|1[0-2])$"  # for query parameters and fields


@dataclass(frozen=True, order=True, slots=True)
class Month:
    """A calendar month; `Month.parse("2026-03") + 1 == Month.parse("2026-04")`."""

    index: int

    @classmethod
    def of(cls, year: int, month: int) -> Self:
        """The month `month` (1-12) of `year`."""
        if not 1 <= month <= 12:  # noqa: PLR2004 - months of the year
            msg = f"month must be 1-12, got {month}"
            raise ValueError(msg)
        return cls(year * 12 + month - 1)

    @classmethod
    def parse(cls, text: str) -> Self:
        """`YYYY-MM` as a month; `ValueError` naming the expected form otherwise."""
        found = _PATTERN.match(text.strip())
        if found is None or not 1 <= int(found.group(2)) <= 12:  # noqa: PLR2004 - months of the year
            msg = f"月份应写作 YYYY-MM，例如 2026-03 / a month is written YYYY-MM, e.g. 2026-03; got {text!r}"
            raise ValueError(msg)
        return cls.of(int(found.group(1)), int(found.group(2)))

    @classmethod
    def containing(cls, day: date) -> Self:
        """The month `day` falls in."""
        return cls.of(day.year, day.month)

    @property
    def year(self) -> int:
        """The calendar year."""
        return self.index // 12

    @property
    def month(self) -> int:
        """The month of the year, 1-12."""
        return self.index % 12 + 1

    @property
    def first_day(self) -> date:
        """The first day of the month."""
        return date(self.year, self.month, 1)

    def __add__(self, months: int) -> Month:
        return Month(self.index + months)

    def __sub__(self, other: Month) -> int:
        """Months from `other` to this month."""
        return self.index - other.index

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def span(first: Month, last: Month) -> tuple[Month, ...]:
    """Every month from `first` to `last`, both included."""
    return tuple(Month(index) for index in range(first.index, last.index + 1))
