"""Warning lights (红黄绿灯) and the instants of an escalation ladder: pure functions of a running limit.

A limit runs from `started_at` to `due_at` (the work calendar's deadline plus any granted
extension). The light is green until 70 % of it is used, yellow until the deadline, red after.
Ladder steps (urge, supervise, yellow card, red card ...) fire when their share of the limit is used;
shares above 1 lie beyond the deadline, counted the way the limit counts time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from zhili.clocks.calendar import (
    LimitUnit,
    WorkCalendar,
    deadline,
    extend,
    instant_at_share,
    instants_at_shares,
)

YELLOW_SHARE = 0.7


class Light(StrEnum):
    """The warning light of a running limit."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


@dataclass(frozen=True)
class RunningLimit:
    """One phase's clock: when it started, when it turns yellow, when it is due."""

    started_at: datetime
    yellow_at: datetime
    due_at: datetime
    unit: LimitUnit
    basis: str | None = None
    """The calendar years the deadline was counted on (`WorkCalendar.basis_between`); None for clock hours."""


@dataclass(frozen=True)
class LadderInstant:
    """When one step of the ladder (or a light change) falls due, at its share of the limit."""

    step: str
    share: float
    at: datetime
    basis: str | None = None
    """The calendar years its instant was counted on, once worked out (None for clock hours)."""


def start_limit(
    calendar: WorkCalendar, started_at: datetime, amount: float, unit: LimitUnit, extension_hours: int = 0
) -> RunningLimit:
    """The clock of a phase that started at `started_at` with a limit and any granted extension."""
    due = extend(calendar, deadline(calendar, started_at, amount, unit), extension_hours, unit)
    yellow = instant_at_share(calendar, started_at, due, YELLOW_SHARE, unit)
    basis = None if unit is LimitUnit.HOURS else calendar.basis_between(started_at, due)
    return RunningLimit(started_at=started_at, yellow_at=yellow, due_at=due, unit=unit, basis=basis)


def light_at(now: datetime, yellow_at: datetime | None, due_at: datetime | None) -> Light:
    """The light at `now`; a phase without a limit is always green."""
    if due_at is not None and now >= due_at:
        return Light.RED
    if yellow_at is not None and now >= yellow_at:
        return Light.YELLOW
    return Light.GREEN


def ladder(calendar: WorkCalendar, limit: RunningLimit, steps: Iterable[tuple[str, float]]) -> list[LadderInstant]:
    """The instants of the light changes and of every ladder step, in order of time."""
    light_steps = ((Light.YELLOW.value, YELLOW_SHARE), (Light.RED.value, 1.0))
    rungs = (*light_steps, *steps)
    shares = [share for _step, share in rungs]
    instants = instants_at_shares(calendar, limit.started_at, limit.due_at, shares, limit.unit)
    found = [LadderInstant(step, share, at) for (step, share), at in zip(rungs, instants, strict=True)]
    return sorted(found, key=lambda instant: (instant.at, instant.share))
