"""The letters a campaign sweep sends: one per person (their overdue tasks) or per supervisor (their late people)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from zhili.campaigns.tasks.sweep_rules import Sweep, step_of
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
    title_en: str = ""  # empty: the Chinese title serves


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
    sweep: Sweep
    verb: str
    label: tuple[str, str]
    severity: Severity


def sweep_letters(
    campaign: SweptCampaign, role_task: RoleTask, sweep: Sweep, tasks: Sequence[Overdue], *, generation: int
) -> list[Letter]:
    """One letter per recipient listing their tasks (or their late people), keyed per sweep instant."""
    wording = _Wording(
        campaign=campaign,
        role_task=role_task,
        key=f"campaign:{campaign.id}:{step_of(role_task.role, sweep)}:{generation}",
        to_supervisor=sweep.to_supervisor,
        sweep=sweep,
        verb="领办" if sweep.watches_claim else "回单",
        label=LABELS[sweep],
        severity=Severity.RED if campaign.severity == Severity.RED.value else Severity.YELLOW,
    )
    by_recipient: defaultdict[int, list[Overdue]] = defaultdict(list)
    for task in tasks:
        by_recipient[task.recipient].append(task)
    return [
        Letter(_notice(wording, recipient, listed), (recipient,)) for recipient, listed in sorted(by_recipient.items())
    ]


def _notice(wording: _Wording, recipient: int, tasks: Sequence[Overdue]) -> Notice:
    campaign, title = wording.campaign, wording.role_task.title_zh
    zh, _ = wording.label
    if wording.to_supervisor:
        role = role_name(wording.role_task.role, "zh")
        lines = [f"· {t.person_name} · {role} · {t.division_name} · {_deadline(wording.verb, t.due_at)}" for t in tasks]
        head, ending = f"以下 {len(tasks)} 人{zh}「{title}」：", "请督促落实。"
    else:
        lines = [f"· {t.division_name} · {_deadline(wording.verb, t.due_at)}" for t in tasks]
        head, ending = f"「{title}」{len(tasks)} 项：", f"请尽快{wording.verb}。"
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES], f"…另有 {len(lines) - MAX_LINES} 项"]
    return Notice(
        topic="campaign.escalate" if wording.to_supervisor else "campaign.remind",
        severity=wording.severity,
        title=f"{zh}：{campaign.title}",
        title_key=f"notice.sweep.{wording.sweep}",  # the inbox shows it in the reader's language
        title_params={"campaign": campaign.title, "campaign_en": campaign.title_en or campaign.title},
        body="\n".join([f"{zh} · {campaign.number} {campaign.title}", head, *lines, ending]),
        key=f"{wording.key}:{recipient}",
        link=_link(wording, tasks),
        subject=f"campaign:{campaign.id}",
    )


def _link(wording: _Wording, tasks: Sequence[Overdue]) -> str:
    """Where the letter leads: a supervisor to their late people's tasks; a holder to their task, or their tasks.

    A supervisor (a 网格长 of 18 unclaimed party members) acts on the people named, so the link lists
    them (the level-above view, this campaign, overdue), not the county-wide campaign.
    """
    if wording.to_supervisor:
        waiting = "unclaimed=true" if wording.verb == "领办" else "state=claimed"
        return f"/tasks?view=above&campaign={wording.campaign.id}&{waiting}&overdue=true"
    if len(tasks) == 1:
        return f"/tasks/{tasks[0].task_id}"
    return f"/tasks?campaign={wording.campaign.id}"


@lru_cache(maxsize=64)
def _deadline(verb: str, due_at: datetime) -> str:
    """The deadline in local time (cached: a sweep's tasks mostly share one due instant)."""
    return f"应于 {due_at.astimezone(CHINA):%m-%d %H:%M} 前{verb}"
