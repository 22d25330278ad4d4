"""Campaigns dispatched in the demo world for the sweep and scoring tests (湖镇镇's three-links posts), fired timers."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from datetime import datetime
from importlib import resources

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from zhili.campaigns.dispatch.cascade import forward_campaign
from zhili.campaigns.dispatch.schemas import CampaignCreate, ForwardCreate
from zhili.campaigns.dispatch.service import dispatch_campaign
from zhili.campaigns.lifecycle import DispatchMode
from zhili.campaigns.models import CampaignTask
from zhili.campaigns.template import TaskTemplate
from zhili.clocks.firing import fire_due
from zhili.core.auth import system_actor
from zhili.core.clock import FrozenClock
from zhili.demo.world import HUZHEN
from zhili.notify.models import InboxItem, Notification
from zhili.worker import TIMER_HANDLERS

SYSTEM = system_actor("test")
SWEEP_TOPICS = ("campaign.remind", "campaign.escalate")


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
    mode: DispatchMode = DispatchMode.ALL,
) -> int:
    """A campaign of a packaged template dispatched at `at` to the posts of `roles` under `within`. Its id."""
    data = CampaignCreate(template=template.code, divisions=[within], roles=list(roles), title=title, mode=mode)
    return dispatch_campaign(session, data=data, actor=SYSTEM, clock=FrozenClock(at)).id


def forward(session: Session, campaign_id: int, division_code: str, *, at: datetime) -> None:
    """A cascade forwarded from a division at `at` (to its children, or at a village to its people)."""
    forward_campaign(
        session,
        campaign_id=campaign_id,
        division_code=division_code,
        data=ForwardCreate(),
        actor=SYSTEM,
        clock=FrozenClock(at),
    )


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


def letter_links(session: Session, campaign_id: int, step: str) -> dict[int, set[str]]:
    """Where one sweep step's letters lead: person id → the links of their letters."""
    rows = session.execute(
        select(InboxItem.person_id, Notification.link)
        .join(Notification, Notification.id == InboxItem.notification_id)
        .where(Notification.key.startswith(f"campaign:{campaign_id}:{step}:"))
    )
    found: dict[int, set[str]] = {}
    for person, link in rows:
        found.setdefault(person, set()).add(link)
    return found


def count_letters(session: Session, campaign_id: int) -> int:
    """Every letter a campaign's sweeps sent (reminders and supervisor notices)."""
    statement = select(func.count()).where(
        Notification.subject == f"campaign:{campaign_id}", Notification.topic.in_(SWEEP_TOPICS)
    )
    return int(session.scalar(statement) or 0)
