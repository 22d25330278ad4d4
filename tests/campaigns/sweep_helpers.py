"""Campaigns built straight into the demo world for the sweep and scoring tests: 湖镇镇's three-links posts."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from datetime import datetime, timedelta
from importlib import resources

from sqlalchemy import Integer, String, func, insert, literal, select, update
from sqlalchemy.orm import Session, sessionmaker

from zhili.campaigns.models import Campaign, CampaignTask
from zhili.campaigns.sweeps import schedule_sweeps
from zhili.campaigns.template import TaskTemplate
from zhili.clocks.firing import fire_due
from zhili.core.clock import FrozenClock
from zhili.core.db import UtcDateTime
from zhili.notify.models import InboxItem, Notification
from zhili.org.demo_world import HUZHEN
from zhili.org.models import Position
from zhili.worker import TIMER_HANDLERS

__all__ = ["HUZHEN"]


def packaged(code: str) -> TaskTemplate:
    """A template shipped in `campaigns/data/<code>.toml`."""
    text = resources.files("zhili.campaigns").joinpath("data", f"{code}.toml").read_text(encoding="utf-8")
    return TaskTemplate.model_validate(tomllib.loads(text))


def start_campaign(
    session: Session,
    *,
    template: TaskTemplate,
    roles: Sequence[str],
    at: datetime,
    within: str = HUZHEN,
    title: str = "防台风 · 烟花",
) -> int:
    """A campaign sent at `at` to every post of `roles` under `within`, with its sweeps; committed. Its id."""
    campaign = Campaign(
        number=f"SLT{at:%H%M%S%f}"[:24],
        template_code=template.code,
        template=template.model_dump_json(),
        title=title,
        message="",
        severity=template.severity,
        mode="all",
        scope="{}",
        owner_division=within,
        status="active",
        recipients=0,
        created_by="test",
        created_at=at,
    )
    session.add(campaign)
    session.flush()
    for role in roles:
        add_tasks(session, campaign_id=campaign.id, template=template, role=role, within=within, at=at)
    schedule_sweeps(session, campaign_id=campaign.id, template=template, roles=roles, dispatched_at=at)
    session.commit()
    return campaign.id


def add_tasks(
    session: Session, *, campaign_id: int, template: TaskTemplate, role: str, within: str, at: datetime
) -> int:
    """One `notified` task per post of a role under a division, due by the template's minutes from `at`."""
    task = template.task_for(role)
    rows = select(
        literal(campaign_id, Integer),
        Position.person_id,
        Position.id,
        Position.supervisor_id,
        Position.role,
        Position.division_code,
        literal("notified", String),
        literal(at, UtcDateTime()),
        literal(at + timedelta(minutes=task.claim_minutes), UtcDateTime()),
        literal(at + timedelta(minutes=task.report_minutes), UtcDateTime()),
    ).where(Position.role == role, Position.division_code.startswith(within))
    columns = [
        "campaign_id",
        "person_id",
        "position_id",
        "supervisor_position_id",
        "role",
        "division_code",
        "state",
        "notified_at",
        "claim_due_at",
        "report_due_at",
    ]
    result = session.execute(insert(CampaignTask).from_select(columns, rows).execution_options(preserve_rowcount=True))
    return int(result.rowcount)  # type: ignore[attr-defined]


def task_ids(session: Session, campaign_id: int, role: str) -> list[int]:
    """The campaign's tasks of a role, in id order."""
    return list(
        session.scalars(
            select(CampaignTask.id)
            .where(CampaignTask.campaign_id == campaign_id, CampaignTask.role == role)
            .order_by(CampaignTask.id)
        )
    )


def set_state(session: Session, ids: Sequence[int], state: str, **values: object) -> None:
    """Move tasks to a state (the tests' stand-in for the people's own actions); committed."""
    session.execute(update(CampaignTask).where(CampaignTask.id.in_(ids)).values(state=state, **values))
    session.commit()


def fire(sessions: sessionmaker[Session], clock: FrozenClock) -> int:
    """Fire every due timer with the worker's handlers; the number fired."""
    total = 0
    while done := fire_due(sessions, clock=clock, handlers=TIMER_HANDLERS):
        total += done
    return total


def letters(session: Session, campaign_id: int, step: str) -> dict[int, list[str]]:
    """The inbox of one sweep step of a campaign: person id → the bodies of their letters."""
    rows = session.execute(
        select(InboxItem.person_id, Notification.body)
        .join(Notification, Notification.id == InboxItem.notification_id)
        .where(Notification.key.startswith(f"campaign:{campaign_id}:{step}:"))
        .order_by(InboxItem.person_id, Notification.id)
    )
    found: dict[int, list[str]] = {}
    for person, body in rows:
        found.setdefault(person, []).append(body)
    return found


def count_notifications(session: Session, campaign_id: int) -> int:
    """Every notification about a campaign (its sweeps' letters)."""
    return int(
        session.scalar(
            select(func.count()).select_from(Notification).where(Notification.subject == f"campaign:{campaign_id}")
        )
        or 0
    )
