"""The letters a campaign sweep sends: one per person (their overdue tasks) or per supervisor (their late people)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from zhili.campaigns.sweep_rules import Sweep, step_of
from zhili.campaigns.template import RoleTask
from zhili.clocks.calendar import CHINA
from zhili.notify.batch import Letter
from zhili.notify.kinds import Severity
from zhili.notify.service import Notice
from zhili.org.roles import role_name

MAX_LINES = 30
"""A supervisor of hundreds reads the first lines and a count, not a scroll."""

LABELS: dict[Sweep, tuple[str, str]] = {
    Sweep.CLAIM: ("催领办", "Please claim"),
    Sweep.CLAIM_AGAIN: ("再次催领办", "Second reminder: please claim"),
    Sweep.CLAIM_SUPERVISOR: ("未按时领办", "Not claimed in time"),
    Sweep.REPORT: ("回单超期", "Report overdue"),
    Sweep.REPORT_SUPERVISOR: ("未按时回单", "Not reported in time"),
}


@dataclass(frozen=True)
class SweptCampaign:
    """What a sweep needs to know about its campaign."""

    id: int
    number: str
    title: str
    severity: str


@dataclass(frozen=True)
class Overdue:
    """One overdue task as a sweep reads it; `recipient` is the person told (the holder or the supervisor)."""

    task_id: int
    recipient: int
    person_name: str
    division_name: str
    due_at: datetime
    marker_at: datetime | None


def sweep_letters(
    campaign: SweptCampaign, role_task: RoleTask, sweep: Sweep, tasks: Sequence[Overdue], *, generation: int
) -> list[Letter]:
    """One letter per recipient listing their tasks (or their late people), keyed per sweep instant."""
    key = f"campaign:{campaign.id}:{step_of(role_task.role, sweep)}:{generation}"
    by_recipient: defaultdict[int, list[Overdue]] = defaultdict(list)
    for task in tasks:
        by_recipient[task.recipient].append(task)
    return [
        Letter(_notice(campaign, role_task, sweep, listed, key=f"{key}:{recipient}"), (recipient,))
        for recipient, listed in sorted(by_recipient.items())
    ]


def _notice(
    campaign: SweptCampaign,
    role_task: RoleTask,
    sweep: Sweep,
    tasks: Sequence[Overdue],
    *,
    key: str,
) -> Notice:
    zh, en = LABELS[sweep]
    lines = [_supervisor_line(role_task, sweep, t) if sweep.to_supervisor else _own_line(sweep, t) for t in tasks]
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES], f"…另有 {len(lines) - MAX_LINES} 项 / {len(lines) - MAX_LINES} more"]
    if sweep.to_supervisor:
        head = f"以下 {len(tasks)} 人{zh}「{role_task.title_zh}」："
        ending = "请督促落实。"
    else:
        head = f"「{role_task.title_zh}」{len(tasks)} 项："
        ending = "请在「我的任务」中领办。" if sweep.watches_claim else "请尽快回单。"
    return Notice(
        topic="campaign.escalate" if sweep.to_supervisor else "campaign.remind",
        severity=Severity.RED if campaign.severity == Severity.RED.value else Severity.YELLOW,
        title=f"{zh}：{campaign.title}",
        body="\n".join([f"{zh} / {en} · {campaign.number} {campaign.title}", head, *lines, ending]),
        key=key,
        link=f"/campaigns/{campaign.id}" if sweep.to_supervisor else "/tasks",
        subject=f"campaign:{campaign.id}",
    )


def _deadline(sweep: Sweep, due_at: datetime) -> str:
    verb = "领办" if sweep.watches_claim else "回单"
    return f"应于 {due_at.astimezone(CHINA):%m-%d %H:%M} 前{verb}"


def _own_line(sweep: Sweep, task: Overdue) -> str:
    return f"· {task.division_name} · {_deadline(sweep, task.due_at)}"


def _supervisor_line(role_task: RoleTask, sweep: Sweep, task: Overdue) -> str:
    role = role_name(role_task.role, "zh")
    return f"· {task.person_name} · {role} · {task.division_name} · {_deadline(sweep, task.due_at)}"
