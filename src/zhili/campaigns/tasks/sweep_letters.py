"""The letters a campaign sweep sends: one per person (their overdue tasks) or per supervisor (their late people).

Worded by message keys (`notice.campaign.sweep.*`, `notify.wording`): stored in Chinese for every
channel, shown in the reader's language in the inbox.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from zhili.campaigns.tasks.sweep_rules import Sweep, step_of
from zhili.campaigns.template import RoleTask
from zhili.notify.batch import Letter
from zhili.notify.kinds import Severity
from zhili.notify.service import Notice
from zhili.notify.wording import Name, Part, When, Words
from zhili.org.roles import role_name

MAX_LINES = 30
"""A supervisor of hundreds reads the first lines and a count, not a scroll."""

# The label of each sweep, `notice.campaign.sweep.<sweep>` in the catalog ("催领办", "Please claim" …).
LABEL_KEY = "notice.campaign.sweep.{}"


@dataclass(frozen=True)
class SweptCampaign:
    """What a sweep needs to know about its campaign."""

    id: int
    number: str
    title: str
    severity: str
    title_en: str = ""


@dataclass(frozen=True)
class Overdue:
    """One overdue task as a sweep reads it; `recipient` is the person told (the holder or the supervisor)."""

    task_id: int
    recipient: int
    person_name: str
    division_name: str
    due_at: datetime
    marker_at: datetime | None


@dataclass(frozen=True)
class _Wording:
    """What every letter of one sweep shares, worked out once per sweep rather than per letter."""

    campaign: SweptCampaign
    role_task: RoleTask
    key: str
    to_supervisor: bool
    verb: Name
    label: Name
    severity: Severity
    now: datetime


def sweep_letters(
    campaign: SweptCampaign,
    role_task: RoleTask,
    sweep: Sweep,
    tasks: Sequence[Overdue],
    *,
    generation: int | str,
    now: datetime,
) -> list[Letter]:
    """One letter per recipient listing their tasks (or their late people), keyed per sweep instant (`now`).

    `generation` is the timer's generation for a sweep by the clock, a word of its own for a reminder by hand.
    """
    wording = _Wording(
        campaign=campaign,
        role_task=role_task,
        key=f"campaign:{campaign.id}:{step_of(role_task.role, sweep)}:{generation}",
        to_supervisor=sweep.to_supervisor,
        verb=Name.label("notice.campaign.verb." + ("claim" if sweep.watches_claim else "report")),
        label=Name.label(LABEL_KEY.format(sweep.value)),
        severity=Severity.RED if campaign.severity == Severity.RED.value else Severity.YELLOW,
        now=now,
    )
    by_recipient: defaultdict[int, list[Overdue]] = defaultdict(list)
    for task in tasks:
        by_recipient[task.recipient].append(task)
    return [
        Letter(_notice(wording, recipient, listed), (recipient,)) for recipient, listed in sorted(by_recipient.items())
    ]


def _notice(wording: _Wording, recipient: int, tasks: Sequence[Overdue]) -> Notice:
    campaign, role_task, verb = wording.campaign, wording.role_task, wording.verb
    names = {"campaign": Name(campaign.title, campaign.title_en), "task": Name(role_task.title_zh, role_task.title_en)}
    lines: list[Part]
    if wording.to_supervisor:
        role = Name(role_name(role_task.role, "zh"), role_name(role_task.role, "en"))
        lines = [
            Words(
                "notice.campaign.sweep_person",
                {"name": t.person_name, "role": role, "place": t.division_name, "due": _due(t.due_at), "verb": verb},
            )
            for t in tasks[:MAX_LINES]
        ]
        head = Words("notice.campaign.sweep_people", {"n": len(tasks), "label": wording.label, **names})
        ending = Words("notice.campaign.sweep_follow_up")
    else:
        lines = [
            Words("notice.campaign.sweep_task", {"place": t.division_name, "due": _due(t.due_at), "verb": verb})
            for t in tasks[:MAX_LINES]
        ]
        head = Words("notice.campaign.sweep_tasks", {"n": len(tasks), **names})
        ending = Words("notice.campaign.sweep_act", {"verb": verb})
    if len(tasks) > MAX_LINES:
        lines.append(Words("notice.campaign.sweep_more", {"n": len(tasks) - MAX_LINES}))
    first = Words("notice.campaign.sweep_head", {"label": wording.label, "number": campaign.number, **names})
    return Notice.worded(
        topic="campaign.escalate" if wording.to_supervisor else "campaign.remind",
        severity=wording.severity,
        title=Words("notice.campaign.sweep_title", {"label": wording.label, **names}),
        body=[first, head, *lines, ending],
        key=f"{wording.key}:{recipient}",
        now=wording.now,
        link=_link(wording, tasks),
        subject=f"campaign:{campaign.id}",
    )


def _link(wording: _Wording, tasks: Sequence[Overdue]) -> str:
    """Where the letter leads: a supervisor to their late people's tasks; a holder to their task, or their tasks.

    A supervisor (a 网格长 of 18 unclaimed party members) acts on the people named, so the link lists
    them (the level-above view, this campaign, overdue), not the county-wide campaign.
    """
    if wording.to_supervisor:
        waiting = "unclaimed=true" if wording.verb.zh == "领办" else "state=claimed"
        return f"/tasks?view=above&campaign={wording.campaign.id}&{waiting}&overdue=true"
    if len(tasks) == 1:
        return f"/tasks/{tasks[0].task_id}"
    return f"/tasks?campaign={wording.campaign.id}"


@lru_cache(maxsize=64)
def _due(due_at: datetime) -> When:
    """A deadline as `12-05 17:30` (one object per instant: a sweep's tasks mostly share one)."""
    return When(due_at, "month_day")
