"""A case's clock: the running phase's deadline on its county's work calendar, and its ladder timer.

Every phase with a limit gets a `RunningLimit` (start, yellow instant, deadline) and one timer row
holding its whole ladder: the two light changes and every rung of the matter's escalation ladder,
each with its share of the limit, its instant and its calendar basis (`LadderInstant`), written in
the transaction that starts the phase. The row is due at its first rung; firing it issues every
rung due by then and writes the row again for the rungs still ahead (`cases.escalation.fire_ladder`).
Ending the phase deletes the row in its own transaction; a granted extension moves the rungs still
waiting, and rungs already fired stay fired.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from zhili.cases.states import CaseState
from zhili.clocks import timers
from zhili.clocks.calendar import LimitUnit, WorkCalendar, instants_at_shares
from zhili.clocks.firing import DueTimer
from zhili.clocks.lights import LadderInstant, RunningLimit, ladder, start_limit
from zhili.clocks.overrides import calendar_for
from zhili.matters.definition import HandlerLevel, MatterDefinition, Phase
from zhili.org.division_code import DivisionCode, DivisionLevel

LADDER = "case.ladder"
"""The timer kind of a case's lights and escalation rungs."""


def county_calendar(session: Session, handling_division: str) -> WorkCalendar:
    """The work calendar of the county the case is handled in (of the city, once escalated there)."""
    return calendar_for(session, DivisionCode(handling_division).at_most(DivisionLevel.COUNTY).value)


def phase_clock(
    calendar: WorkCalendar, definition: MatterDefinition, state: CaseState, handler_level: str
) -> RunningLimit | None:
    """The running phase's clock, or None when no limited phase runs (closed, suspended ...)."""
    if state.phase is None or state.phase_started_at is None:
        return None
    limit = definition.limit(HandlerLevel(handler_level), state.phase)
    extension = state.granted_extension_hours if state.phase is Phase.HANDLE else 0
    return start_limit(calendar, state.phase_started_at, limit.amount, LimitUnit(limit.unit), extension)


@dataclass(frozen=True)
class WaitingLadder:
    """A case's ladder timer: the phase run it belongs to and its rungs still ahead, soonest first.

    `generation` is the case's version when the phase started (a rung's notice key carries it);
    `phase` and `started_at` name the phase run, so a rung of a run that has ended is never issued.
    """

    case_id: int
    generation: int
    phase: str
    started_at: str
    rungs: tuple[LadderInstant, ...]

    def timer(self) -> timers.TimerSpec | None:
        """The timer row that holds these rungs, due at the first; None when none is left."""
        if not self.rungs:
            return None
        first = self.rungs[0]
        payload = {
            "phase": self.phase,
            "started_at": self.started_at,
            "rungs": [[rung.step, rung.share, rung.at.isoformat(), rung.basis] for rung in self.rungs],
        }
        return timers.TimerSpec(
            kind=LADDER,
            subject_id=self.case_id,
            step=first.step,
            due_at=first.at,
            generation=self.generation,
            share=first.share,
            payload=payload,
            calendar_basis=first.basis,
        )

    def split(self, now: datetime) -> tuple[tuple[LadderInstant, ...], WaitingLadder]:
        """The rungs due by `now`, and the ladder of those still ahead."""
        due = tuple(rung for rung in self.rungs if rung.at <= now)
        return due, replace(self, rungs=self.rungs[len(due) :])


def held_ladder(timer: DueTimer | timers.TimerSpec) -> WaitingLadder:
    """The ladder a timer row holds; a row written before a ladder was one row holds its own rung alone."""
    payload = timer.payload
    held = payload.get("rungs")
    rungs = (
        tuple(LadderInstant(str(s), float(f), datetime.fromisoformat(at), b) for s, f, at, b in held)
        if isinstance(held, list)
        else (LadderInstant(timer.step, timer.share, timer.due_at, getattr(timer, "calendar_basis", None)),)
    )
    phase, started_at = str(payload.get("phase", "")), str(payload.get("started_at", ""))
    return WaitingLadder(timer.subject_id, timer.generation, phase, started_at, rungs)


def ladder_timer(
    case_id: int, state: CaseState, clock: RunningLimit, definition: MatterDefinition, calendar: WorkCalendar
) -> WaitingLadder:
    """The running phase's whole ladder: the light changes and every escalation rung, soonest first."""
    steps = [(step.action.value, step.at) for step in definition.escalation]
    rungs = tuple(
        replace(instant, basis=_basis(calendar, clock, instant.at)) for instant in ladder(calendar, clock, steps)
    )
    phase = state.phase.value if state.phase else ""
    return WaitingLadder(case_id, state.version, phase, clock.started_at.isoformat(), rungs)


def pending_ladder(
    session: Session, case_id: int, *, phase: str | None = None, started_at: datetime | None = None
) -> WaitingLadder | None:
    """The rungs still waiting on a case, soonest first; of one phase run when `phase` and `started_at` name it.

    Rows of another run (should a cancel ever have been missed) are stale: a named run leaves them out.
    """
    held = [held_ladder(row) for row in timers.pending(session, LADDER, case_id)]
    if phase is not None and started_at is not None:
        started = started_at.isoformat()
        held = [found for found in held if (found.phase, found.started_at) == (phase, started)]
    if not held:
        return None
    return replace(held[0], rungs=_soonest_first(rung for found in held for rung in found.rungs))


def schedule_ladders(session: Session, ladders: Sequence[WaitingLadder], *, now: datetime) -> int:
    """Write the timer rows of these ladders (those with a rung left) in one statement; the rows written."""
    return timers.schedule(session, [spec for found in ladders if (spec := found.timer()) is not None], now=now)


def _basis(calendar: WorkCalendar, clock: RunningLimit, at: datetime) -> str | None:
    """The calendar years a rung's instant was counted on (None for clock hours)."""
    return None if clock.unit is LimitUnit.HOURS else calendar.basis_between(clock.started_at, at)


def sync_timers(
    session: Session,
    *,
    case_id: int,
    before: CaseState | None,
    after: CaseState,
    clock: RunningLimit | None,
    definition: MatterDefinition,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    """Keep the case's ladder timer in step with a state change (inside the caller's transaction)."""
    restarted = before is None or (before.phase, before.phase_started_at) != (after.phase, after.phase_started_at)
    if restarted:
        if before is not None:
            timers.cancel(session, LADDER, [case_id])
        if clock is not None:
            schedule_ladders(session, [ladder_timer(case_id, after, clock, definition, calendar)], now=now)
    elif clock is not None and before is not None and before.granted_extension_hours != after.granted_extension_hours:
        phase = after.phase.value if after.phase else ""
        waiting = pending_ladder(session, case_id, phase=phase, started_at=clock.started_at)
        if waiting is not None:
            timers.cancel(session, LADDER, [case_id])
            schedule_ladders(session, [_moved(waiting, calendar, clock)], now=now)


def _moved(waiting: WaitingLadder, calendar: WorkCalendar, clock: RunningLimit) -> WaitingLadder:
    """The waiting rungs at their shares of the extended limit."""
    shares = [rung.share for rung in waiting.rungs]
    instants = instants_at_shares(calendar, clock.started_at, clock.due_at, shares, clock.unit)
    pairs = zip(waiting.rungs, instants, strict=True)
    moved = (replace(rung, at=at, basis=_basis(calendar, clock, at)) for rung, at in pairs)
    return replace(waiting, rungs=_soonest_first(moved))


def _soonest_first(rungs: Iterable[LadderInstant]) -> tuple[LadderInstant, ...]:
    """Rungs in the order they fall due; at one instant, the smaller share (a light before its rung) first."""
    return tuple(sorted(rungs, key=lambda rung: (rung.at, rung.share)))
