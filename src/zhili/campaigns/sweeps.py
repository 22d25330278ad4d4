"""Campaign reminders and escalation: the sweep timers of a campaign, and the handler that fires them.

A sweep is one timer per campaign, role and instant (see `sweep_rules`), never one per recipient:
firing it selects the overdue tasks of that campaign and role in one query, sends each person (or
each supervisor) one letter listing their tasks, and marks the tasks with one UPDATE.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from zhili.campaigns.sweep_rules import SWEEP, sweep_timers
from zhili.campaigns.template import TaskTemplate
from zhili.clocks import timers

__all__ = ["SWEEP", "cancel_sweeps", "schedule_sweeps"]


def schedule_sweeps(
    session: Session, *, campaign_id: int, template: TaskTemplate, roles: Sequence[str], dispatched_at: datetime
) -> None:
    """Write a campaign's sweep timers in the caller's (dispatch) transaction: at most five per role."""
    timers.schedule(session, sweep_timers(campaign_id, template, roles, dispatched_at), now=dispatched_at)


def cancel_sweeps(session: Session, campaign_id: int) -> int:
    """Delete a campaign's pending sweeps (when it is closed); the number cancelled."""
    return timers.cancel(session, SWEEP, [campaign_id])
