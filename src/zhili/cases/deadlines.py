"""A case's clock: the running phase's deadline on its county's work calendar, and its ladder timers.

Every phase with a limit gets a `RunningLimit` (start, yellow instant, deadline) and one timer per
light change and per rung of the matter's escalation ladder, written in the transaction that starts
the phase; ending the phase cancels them in its own transaction. A granted extension moves the
timers still waiting; rungs already fired stay fired.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from zhili.cases.states import CaseState
from zhili.clocks import timers
from zhili.clocks.calendar import LimitUnit, WorkCalendar, instant_at_share
from zhili.clocks.lights import RunningLimit, ladder, start_limit
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


def ladder_timers(
    case_id: int, state: CaseState, clock: RunningLimit, definition: MatterDefinition, calendar: WorkCalendar
) -> list[timers.TimerSpec]:
    """One timer per light change and escalation rung of the running phase."""
    phase = state.phase.value if state.phase else ""
    payload = {"phase": phase, "started_at": clock.started_at.isoformat()}
    rungs = [(step.action.value, step.at) for step in definition.escalation]
    return [
        timers.TimerSpec(
            kind=LADDER,
            subject_id=case_id,
            step=instant.step,
            due_at=instant.at,
            generation=state.version,
            share=instant.share,
            payload=payload,
            calendar_basis=_basis(calendar, clock, instant.at),
        )
        for instant in ladder(calendar, clock, rungs)
    ]


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
    """Keep the case's timers in step with a state change (inside the caller's transaction)."""
    restarted = before is None or (before.phase, before.phase_started_at) != (after.phase, after.phase_started_at)
    if restarted:
        if before is not None:
            timers.cancel(session, LADDER, [case_id])
        if clock is not None:
            timers.schedule(session, ladder_timers(case_id, after, clock, definition, calendar), now=now)
    elif clock is not None and before is not None and before.granted_extension_hours != after.granted_extension_hours:
        waiting = timers.pending(session, LADDER, case_id)
        timers.cancel(session, LADDER, [case_id])
        moved = []
        for spec in waiting:
            at = instant_at_share(calendar, clock.started_at, clock.due_at, spec.share, clock.unit)
            moved.append(replace(spec, due_at=at, calendar_basis=_basis(calendar, clock, at)))
        timers.schedule(session, moved, now=now)
