"""When a campaign's reminder and escalation sweeps fall due, and which tasks each one reaches. Pure values.

A campaign has a handful of sweeps per role, never a timer per recipient:

- `claim` at the claim time: the people whose task is still unclaimed are reminded;
- `claim_again` a further `remind_after_minutes` later (when the template asks for it): reminded again;
- `claim_supervisor` `supervisor_after_minutes` after the claim time: their supervisors are told;
- `report` at the report time: the people who claimed but have not reported are reminded;
- `report_supervisor` `supervisor_after_minutes` after the report time: their supervisors are told.

A task carries one marker per audience (`reminded_at`, `supervisor_told_at`). A sweep reaches a task
when the sweep's instant for that task (its due instant plus the sweep's offset) has passed and the
marker is older than that instant, so a repeated firing, or a later sweep of the same kind, reaches
nobody twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from zhili.campaigns.lifecycle import UNCLAIMED_STATES, UNREPORTED_STATES
from zhili.campaigns.template import RoleTask, TaskTemplate
from zhili.clocks.timers import TimerSpec

SWEEP = "campaign.sweep"
"""The timer kind of campaign sweeps: `subject_id` is the campaign, `step` is `<role>:<sweep>`."""


class Sweep(StrEnum):
    """The sweeps of one role of a campaign."""

    CLAIM = "claim"
    CLAIM_AGAIN = "claim_again"
    CLAIM_SUPERVISOR = "claim_supervisor"
    REPORT = "report"
    REPORT_SUPERVISOR = "report_supervisor"

    @property
    def watches_claim(self) -> bool:
        """True for the sweeps about claiming (against `claim_due_at`), False for reporting."""
        return self.value.startswith("claim")

    @property
    def to_supervisor(self) -> bool:
        """True when the sweep tells the supervisors rather than the people themselves."""
        return self.value.endswith("supervisor")

    @property
    def states(self) -> tuple[str, ...]:
        """The task states the sweep looks at."""
        return UNCLAIMED_STATES if self.watches_claim else UNREPORTED_STATES


def offset(role_task: RoleTask, sweep: Sweep) -> timedelta | None:
    """How long after a task's due instant the sweep reaches it (None: the template has no such sweep)."""
    minutes = {
        Sweep.CLAIM: 0,
        Sweep.CLAIM_AGAIN: role_task.remind_after_minutes or None,
        Sweep.CLAIM_SUPERVISOR: role_task.supervisor_after_minutes,
        Sweep.REPORT: 0,
        Sweep.REPORT_SUPERVISOR: role_task.supervisor_after_minutes,
    }[sweep]
    return None if minutes is None else timedelta(minutes=minutes)


def sweep_instants(role_task: RoleTask, dispatched_at: datetime) -> dict[Sweep, datetime]:
    """The instants of a role's sweeps for tasks dispatched at `dispatched_at`."""
    claim_due = dispatched_at + timedelta(minutes=role_task.claim_minutes)
    report_due = dispatched_at + timedelta(minutes=role_task.report_minutes)
    instants: dict[Sweep, datetime] = {}
    for sweep in Sweep:
        after = offset(role_task, sweep)
        if after is not None:
            instants[sweep] = (claim_due if sweep.watches_claim else report_due) + after
    return instants


def step_of(role: str, sweep: Sweep) -> str:
    """The timer step naming a role's sweep."""
    return f"{role}:{sweep.value}"


def parse_step(step: str) -> tuple[str, Sweep]:
    """The role and sweep of a timer step (ValueError when it is not one)."""
    role, _, name = step.partition(":")
    return role, Sweep(name)


def sweep_timer(campaign_id: int, role: str, sweep: Sweep, at: datetime) -> TimerSpec:
    """The timer of one sweep; its generation is its instant, so each instant's letters have their own keys."""
    return TimerSpec(
        kind=SWEEP, subject_id=campaign_id, step=step_of(role, sweep), due_at=at, generation=int(at.timestamp())
    )


def sweep_timers(
    campaign_id: int, template: TaskTemplate, roles: Sequence[str], dispatched_at: datetime
) -> list[TimerSpec]:
    """Every sweep timer of a campaign's roles (at most five per role)."""
    return [
        sweep_timer(campaign_id, role, sweep, at)
        for role in dict.fromkeys(roles)
        for sweep, at in sweep_instants(template.task_for(role), dispatched_at).items()
    ]


@dataclass(frozen=True)
class Watch:
    """What a sweep compares for one task: its due instant and the marker of the audience it tells."""

    due_at: datetime
    marker_at: datetime | None


def needs_notice(watch: Watch, after: timedelta, now: datetime) -> bool:
    """True when the sweep's instant for this task has passed and nobody was told about it since."""
    instant = watch.due_at + after
    return instant <= now and (watch.marker_at is None or watch.marker_at < instant)


def next_instant(due_instants: Sequence[datetime], after: timedelta, now: datetime) -> datetime | None:
    """When a sweep next has work: the soonest instant still ahead among these tasks (None: none ahead)."""
    ahead = [due + after for due in due_instants if due + after > now]
    return min(ahead, default=None)
