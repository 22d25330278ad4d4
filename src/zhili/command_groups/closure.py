"""The closure report (总结报告) as a value: what a command group's record came to when it closed.

Pure data, kept in the group's row (`CommandGroup.closure_report`, typed JSON); `report.summarise`
counts a group's record into one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["ClosureReport", "InstructionLine"]


@dataclass(frozen=True, slots=True)
class InstructionLine:
    """One instruction in the report."""

    body: str
    issued_at: datetime
    deadline_at: datetime
    addressees: int
    done: int
    on_time: int


@dataclass(frozen=True, slots=True)
class ClosureReport:
    """What the report says; pages show its times in local time.

    Kept in the group's row as JSON (`CommandGroup.closure_report`, a `JsonText` column), times in ISO 8601 UTC.
    """

    title: str
    area_code: str
    opened_at: datetime
    closed_at: datetime
    hours: float
    members_by_role: dict[str, int]
    people: int
    instructions: list[InstructionLine]
    copies: int
    done: int
    done_on_time: int
    posts: int
    photos: int
    places: int
    states: list[tuple[datetime, str, str]] = field(default_factory=list)
    participants: list[tuple[str, str]] = field(default_factory=list)

    @property
    def on_time_rate(self) -> float | None:
        """The share of instruction copies finished by their deadline (None when there were none)."""
        return self.done_on_time / self.copies if self.copies else None
