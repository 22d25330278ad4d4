"""Campaign reminders and escalation: the sweep timers of a campaign, and the handler that fires them.

A sweep is one timer per campaign, role and instant (see `sweep_rules`), never one per recipient.
Firing it selects the overdue tasks of that campaign and role in one query, sends each person (or
each supervisor) one letter listing their tasks through `notify_each`, marks the tasks with one
UPDATE per 5,000 ids and writes one audit record. A closed campaign's sweeps do nothing. Tasks that
fall due later (a cascade forwarded after the first sweeps) get a follow-up sweep at their instant.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from zhili.campaigns import visibility
from zhili.campaigns.lifecycle import CampaignStatus
from zhili.campaigns.models import Campaign, CampaignTask
from zhili.campaigns.notices import english_title
from zhili.campaigns.tasks import store
from zhili.campaigns.tasks.sweep_letters import Overdue, SweptCampaign, sweep_letters
from zhili.campaigns.tasks.sweep_rules import (
    SWEEP,
    Sweep,
    Watch,
    needs_notice,
    next_instant,
    offset,
    parse_step,
    step_of,
    sweep_timer,
    sweep_timers,
)
from zhili.campaigns.template import RoleTask, TaskTemplate
from zhili.clocks import timers
from zhili.clocks.firing import DueTimer
from zhili.clocks.models import Timer
from zhili.core import audit
from zhili.core.auth import system_actor
from zhili.core.clock import FrozenClock
from zhili.notify.batch import notify_each
from zhili.notify.service import MAX_LISTED_RECIPIENTS
from zhili.org.models import Division, Person, Position

__all__ = ["cancel_sweeps", "fire_sweeps", "schedule_sweeps"]

T = TypeVar("T")
CLOCK_ACTOR = system_actor("system:clock")


def schedule_sweeps(
    session: Session, *, campaign_id: int, template: TaskTemplate, roles: Sequence[str], dispatched_at: datetime
) -> None:
    """Write a campaign's sweep timers in the caller's transaction: at most five per role.

    Call it again when a cascade forward adds tasks later: a sweep already pending at or before a
    new instant covers it (each firing schedules the next instant its tasks need), so only the
    uncovered ones are written.
    """
    wanted = sweep_timers(campaign_id, template, roles, dispatched_at)
    covered = _earliest_pending(session, campaign_id, exclude=())
    fresh = [t for t in wanted if t.step not in covered or covered[t.step] > t.due_at]
    timers.schedule(session, fresh, now=dispatched_at)


def cancel_sweeps(session: Session, campaign_id: int) -> int:
    """Delete a campaign's pending sweeps (when it is closed); the number cancelled."""
    return timers.cancel(session, SWEEP, [campaign_id])


@dataclass(frozen=True)
class _Run:
    """One sweep of one campaign's role, being fired."""

    campaign: SweptCampaign
    role_task: RoleTask
    sweep: Sweep
    after: timedelta
    timer: DueTimer


def fire_sweeps(session: Session, due: Sequence[DueTimer], now: datetime) -> None:
    """The `campaign.sweep` handler: run each due sweep of an open campaign, oldest first; an audit record each."""
    templates = _open_campaigns(session, {timer.subject_id for timer in due})
    fired = {timer.id for timer in due}
    entries = []
    for timer in sorted(due, key=lambda t: (t.due_at, t.id)):
        run = _run_of(templates.get(timer.subject_id), timer)
        entry = None if run is None else _sweep(session, run, now=now, fired=fired)
        if entry is not None:
            entries.append(entry)
    audit.record_many(session, entries, at=now)


def _open_campaigns(session: Session, ids: Collection[int]) -> dict[int, tuple[SweptCampaign, TaskTemplate]]:
    """The campaigns still open, read under a shared lock in id order (closing one waits for its sweep)."""
    statement = (
        select(Campaign.id, Campaign.number, Campaign.title, Campaign.severity, Campaign.template)
        .where(
            Campaign.id.in_(sorted(ids)), Campaign.closed_at.is_(None), Campaign.status != CampaignStatus.CLOSED.value
        )
        .order_by(Campaign.id)
        .with_for_update(read=True)
    )
    return {
        row.id: (
            SweptCampaign(row.id, row.number, row.title, row.severity, english_title(row.title, row.template)),
            row.template,
        )
        for row in session.execute(statement)
    }


def _run_of(found: tuple[SweptCampaign, TaskTemplate] | None, timer: DueTimer) -> _Run | None:
    """The sweep a timer names, or None (campaign closed, role or sweep no longer in its template)."""
    if found is None:
        return None
    campaign, template = found
    try:
        role, sweep = parse_step(timer.step)
        role_task = template.task_for(role)
    except (ValueError, KeyError):
        return None
    after = offset(role_task, sweep)
    return None if after is None else _Run(campaign, role_task, sweep, after, timer)


def _sweep(session: Session, run: _Run, *, now: datetime, fired: Collection[int]) -> audit.AuditEntry | None:
    """Tell whoever this sweep reaches, mark their tasks, schedule the next instant; the audit entry.

    A sweep that reached nobody and left nothing for later writes nothing, so firing it again changes nothing.
    """
    reached = [
        row for row in _overdue(session, run, now) if needs_notice(Watch(row.due_at, row.marker_at), run.after, now)
    ]
    letters = sweep_letters(run.campaign, run.role_task, run.sweep, reached, generation=run.timer.generation, now=now)
    column: store.Marked = "supervisor_told_at" if run.sweep.to_supervisor else "reminded_at"
    tasks = sorted({row.task_id for row in reached})  # a task with no supervisor may reach several above it
    store.mark(session, column, tasks, now)  # in batches of its own
    for batch in _chunks(letters):
        notify_each(session, batch, clock=FrozenClock(now))
    follow_up = _follow_up(session, run, now=now, fired=fired)
    if not reached and follow_up is None:
        return None
    return audit.AuditEntry(
        actor=CLOCK_ACTOR.audit_name,
        role=CLOCK_ACTOR.audit_role,
        action=f"campaign.sweep.{run.sweep.value}",
        entity_type="campaign",
        entity_id=str(run.campaign.id),
        after={
            "role": run.role_task.role,
            "sweep": run.sweep.value,
            "due_at": run.timer.due_at.isoformat(),
            "tasks": len(tasks),
            "letters": len(letters),
            "next_at": follow_up.isoformat() if follow_up else None,
        },
    )


def _due_and_marker(sweep: Sweep) -> tuple[Any, Any]:
    due = CampaignTask.claim_due_at if sweep.watches_claim else CampaignTask.report_due_at
    marker = CampaignTask.supervisor_told_at if sweep.to_supervisor else CampaignTask.reminded_at
    return due, marker


def _overdue(session: Session, run: _Run, now: datetime) -> list[Overdue]:
    """The tasks of the campaign and role this sweep may reach, in one query (the marker is checked in Python).

    To the supervisors: each task's supervising post, the one that sees and verifies it (`visible_tasks`). A
    task that names none reaches the managing posts above it (`visibility.told_above`, as its decline and report
    do), one more query per division above, so that no late task goes untold.
    """
    due, marker = _due_and_marker(run.sweep)
    boss = aliased(Position)
    recipient = boss.person_id if run.sweep.to_supervisor else CampaignTask.person_id
    statement = (
        select(CampaignTask.id, recipient, Person.name, Division.name, due, marker)
        .join(Person, Person.id == CampaignTask.person_id)
        .join(Division, Division.code == CampaignTask.division_code)
        .where(
            CampaignTask.campaign_id == run.campaign.id,
            CampaignTask.role == run.role_task.role,
            CampaignTask.state.in_(run.sweep.states),
            due <= now - run.after,
            or_(marker.is_(None), marker < now),
        )
        .order_by(recipient, CampaignTask.division_code, CampaignTask.id)
    )
    if not run.sweep.to_supervisor:
        return [Overdue(*row) for row in session.execute(statement)]
    supervised = statement.join(boss, boss.id == CampaignTask.supervisor_position_id)
    unsupervised = (
        statement.with_only_columns(
            CampaignTask.id, CampaignTask.division_code, Person.name, Division.name, due, marker
        )
        .where(CampaignTask.supervisor_position_id.is_(None))
        .order_by(None)
    )
    found = [Overdue(*row) for row in session.execute(supervised)]
    above: dict[str, list[int]] = {}
    for task_id, code, *rest in session.execute(unsupervised):
        if code not in above:
            above[code] = list(session.scalars(visibility.told_above(None, code)))
        found += [Overdue(task_id, person, *rest) for person in above[code]]
    return found


def _follow_up(session: Session, run: _Run, *, now: datetime, fired: Collection[int]) -> datetime | None:
    """Schedule this sweep again for tasks whose instant is still ahead, unless a pending sweep covers them."""
    due, _marker = _due_and_marker(run.sweep)
    ahead = session.scalar(
        select(func.min(due)).where(
            CampaignTask.campaign_id == run.campaign.id,
            CampaignTask.role == run.role_task.role,
            CampaignTask.state.in_(run.sweep.states),
            due > now - run.after,
        )
    )
    at = next_instant([ahead], run.after, now) if ahead is not None else None
    if at is None:
        return None
    step = step_of(run.role_task.role, run.sweep)
    pending = _earliest_pending(session, run.campaign.id, exclude=fired).get(step)
    if pending is None or pending > at:
        timers.schedule(session, [sweep_timer(run.campaign.id, run.role_task.role, run.sweep, at)], now=now)
    return at


def _earliest_pending(session: Session, campaign_id: int, *, exclude: Collection[int]) -> dict[str, datetime]:
    """The soonest pending sweep of each step of a campaign (leaving out the timers being fired)."""
    statement = (
        select(Timer.step, func.min(Timer.due_at))
        .where(Timer.kind == SWEEP, Timer.subject_id == campaign_id, Timer.id.not_in(list(exclude)))
        .group_by(Timer.step)
    )
    return {row[0]: row[1] for row in session.execute(statement)}


def _chunks(items: Sequence[T], size: int = MAX_LISTED_RECIPIENTS) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
