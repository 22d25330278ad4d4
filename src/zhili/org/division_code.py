"""Division codes (区划代码): the one value type that knows their levels, parents, ancestors and subtrees.

Codes nest by prefix ([ADR 0001](docs/decisions/0001-division-codes-nest-by-prefix.md)): province 2
digits, city 4, county 6, township 9, village 12 (the national NBS codes), grid 15 (a village code
and 3 digits) and micro-grid 17 (a grid code and 2 digits). Every module that needs a code's
level, its parent, its ancestors or its subtree asks `DivisionCode` instead of slicing strings, so
they all agree on the levels, the micro-grid included.

`core.auth` (`Grant`, `Scope`) keeps its own `startswith` on prefixes: core is the base layer and
imports no domain; a prefix match is all it needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, or_

from zhili.core.errors import InvalidInputError


class DivisionLevel(StrEnum):
    """The levels of the division tree, from the top; the value is `Division.level`."""

    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"
    GRID = "grid"
    MICROGRID = "microgrid"

    @property
    def length(self) -> int:
        """How many digits a code of this level has."""
        return CODE_LENGTHS[self.depth]

    @property
    def depth(self) -> int:
        """0 for the province, 6 for a micro-grid: a larger depth is a finer level."""
        return _DEPTHS[self]

    @property
    def finer(self) -> DivisionLevel | None:
        """The level just below (None below a micro-grid)."""
        return LEVELS[self.depth + 1] if self.depth + 1 < len(LEVELS) else None

    @property
    def coarser(self) -> DivisionLevel | None:
        """The level just above (None above a province)."""
        return LEVELS[self.depth - 1] if self.depth > 0 else None

    def is_finer_than(self, other: DivisionLevel) -> bool:
        """True when this level lies below `other` (a grid is finer than a village)."""
        return self.depth > other.depth

    @classmethod
    def of_length(cls, length: int) -> DivisionLevel | None:
        """The level whose codes have `length` digits, if any."""
        return _BY_LENGTH.get(length)


LEVELS: tuple[DivisionLevel, ...] = tuple(DivisionLevel)
CODE_LENGTHS: tuple[int, ...] = (2, 4, 6, 9, 12, 15, 17)
_DEPTHS = {level: depth for depth, level in enumerate(LEVELS)}
_BY_LENGTH = dict(zip(CODE_LENGTHS, LEVELS, strict=True))
PATTERN = "^(?:" + "|".join(f"[0-9]{{{n}}}" for n in CODE_LENGTHS) + ")$"
"""A regular expression for a valid code, for pydantic fields and query parameters."""
PATTERN_OR_EMPTY = PATTERN.removesuffix(")$") + ")?$"
"""`PATTERN`, or the empty string (an HTML form's unset filter)."""
_VALID = re.compile(PATTERN)


class InvalidDivisionCodeError(InvalidInputError, ValueError):
    """Not a division code: digits of one of the level lengths (a 422; a ValueError for pydantic)."""


@dataclass(frozen=True, slots=True, order=True)
class DivisionCode:
    """A valid division code. Ordering is the code's, so a parent sorts before its children."""

    value: str

    def __post_init__(self) -> None:
        if not self.is_valid(self.value):
            lengths = ", ".join(map(str, CODE_LENGTHS[:-1]))
            message = f"{self.value!r} is not a division code: {lengths} or {CODE_LENGTHS[-1]} digits 0-9"
            raise InvalidDivisionCodeError(message)

    @staticmethod
    def is_valid(text: object) -> bool:
        """True when `text` is a string a `DivisionCode` accepts."""
        return isinstance(text, str) and _VALID.fullmatch(text) is not None

    @classmethod
    def parse(cls, text: str | None) -> DivisionCode | None:
        """The code, or None when `text` is None or not a valid code (for optional or untrusted input)."""
        return cls(text) if text is not None and cls.is_valid(text) else None

    def __str__(self) -> str:
        return self.value

    @property
    def level(self) -> DivisionLevel:
        """The code's level, from its length."""
        return _BY_LENGTH[len(self.value)]

    @property
    def parent(self) -> DivisionCode | None:
        """The division one level up (None for a province)."""
        above = self.level.coarser
        return None if above is None else DivisionCode(self.value[: above.length])

    @property
    def ancestors(self) -> tuple[DivisionCode, ...]:
        """The divisions above this one, province first (the code itself not included)."""
        return tuple(DivisionCode(self.value[:n]) for n in CODE_LENGTHS[: self.level.depth])

    @property
    def lineage(self) -> tuple[DivisionCode, ...]:
        """The ancestors and then the code itself: a breadcrumb path, province first."""
        return (*self.ancestors, self)

    def has_level(self, level: DivisionLevel) -> bool:
        """True when the code is at `level` or finer, so `at(level)` is defined."""
        return self.level.depth >= level.depth

    def at(self, level: DivisionLevel) -> DivisionCode:
        """The code's ancestor (or the code itself) at `level`; a ValueError when the code is coarser."""
        if not self.has_level(level):
            message = f"{self.value} is a {self.level} code, above the {level} level"
            raise InvalidDivisionCodeError(message)
        return self if level is self.level else DivisionCode(self.value[: level.length])

    def at_most(self, level: DivisionLevel) -> DivisionCode:
        """The ancestor at `level`, or the code itself when it is already coarser."""
        return self.at(level) if self.has_level(level) else self

    def under(self, other: DivisionCode) -> bool:
        """True when this division is `other` or lies in its subtree."""
        return self.value.startswith(other.value)

    def contains(self, other: DivisionCode) -> bool:
        """True when `other` is this division or lies in its subtree."""
        return other.under(self)

    def is_related(self, other: DivisionCode) -> bool:
        """True when one of the two contains the other (their subtrees overlap)."""
        return self.under(other) or other.under(self)

    @property
    def child_level(self) -> DivisionLevel | None:
        """The level of this division's children (None for a micro-grid)."""
        return self.level.finer

    @property
    def max_children(self) -> int:
        """How many children the code's digits allow (999 grids in a village); 0 for a micro-grid."""
        below = self.child_level
        return 0 if below is None else 10 ** (below.length - len(self.value)) - 1

    def child(self, number: int) -> DivisionCode:
        """The child with this sequence number (1 to `max_children`), e.g. a village's grid 7."""
        below = self.child_level
        if below is None or not 1 <= number <= self.max_children:
            message = f"{self.value} has no child number {number}"
            raise InvalidDivisionCodeError(message)
        return DivisionCode(f"{self.value}{number:0{below.length - len(self.value)}d}")

    def subtree(self, column: Any) -> ColumnElement[bool]:
        """A SQL condition: `column` holds this code or one below it.

        `LIKE 'code%'` with the pattern as one value: a code is digits only, so nothing needs escaping.
        """
        condition: ColumnElement[bool] = column.like(f"{self.value}%")
        return condition

    def related_in(self, column: Any) -> ColumnElement[bool]:
        """A SQL condition: `column` holds this code, one below it or one of its ancestors."""
        return or_(self.subtree(column), column.in_([code.value for code in self.ancestors]))


def common_ancestor(codes: Iterable[DivisionCode]) -> DivisionCode | None:
    """The deepest division containing every code (a code itself when it contains the others).

    None when there are no codes, or when they lie in different provinces.
    """
    found = list(codes)
    if not found:
        return None
    for candidate in reversed(min(found, key=lambda code: len(code.value)).lineage):
        if all(code.under(candidate) for code in found):
            return candidate
    return None


def outermost(codes: Iterable[DivisionCode]) -> list[DivisionCode]:
    """The codes that lie under no other code of the set, sorted: a scope without nested divisions."""
    found = set(codes)
    return sorted(code for code in found if not any(other != code and code.under(other) for other in found))


def codes_of(values: Iterable[str]) -> list[DivisionCode]:
    """Division codes from strings (each validated)."""
    return [DivisionCode(value) for value in values]
