"""Campaigns for the board tests: tasks inserted straight from the demo world's posts, states set by a rule.

A campaign is dispatched as the product does it (one task per post of the roles under a division),
then each task is given a state chosen from its id, so every expected count can be computed again
in Python from the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from zhili.campaigns.dispatch.schemas import CampaignCreate
from zhili.campaigns.dispatch.service import dispatch_campaign
from zhili.campaigns.models import Campaign, CampaignScopeDivision, CampaignScopeRole, CampaignTask, TaskPhoto
from zhili.campaigns.templates_service import packaged_templates
from zhili.core.auth import system_actor
from zhili.core.clock import FrozenClock
from zhili.org.models import Position

ROLES = ("team_leader", "grid_head", "party_member")
# (state, minutes from notification to claim or None); chosen by task id modulo the length.
PATTERN: tuple[tuple[str, int | None], ...] = (
    ("notified", None),
    ("read", None),
    ("claimed", 10),
    ("claimed", 25),
    ("reported", 50),
    ("verified", 90),
    ("rated", 200),
    ("declined", None),
    ("claimed", 300),
    ("reported", 5),
)


@dataclass(frozen=True)
class Expected:
    """One task as the tests count it."""

    task_id: int
    division_code: str
    role: str
    claim_due: datetime
    state: str
    claim_minutes: int | None


def seed_campaign(session: Session, *, owner: str, now: datetime, roles: tuple[str, ...] = ROLES) -> int:
    """A typhoon campaign dispatched to `owner` (one task per post of `roles`), states set by `PATTERN`."""
    data = CampaignCreate(template="typhoon", divisions=[owner], roles=list(roles), message="测试")
    campaign = dispatch_campaign(session, data=data, actor=system_actor("test"), clock=FrozenClock(now))
    apply_pattern(session, campaign.id, now)
    session.flush()
    return campaign.id


def apply_pattern(session: Session, campaign_id: int, now: datetime) -> None:
    """Set each task's state and times from `PATTERN` by its id."""
    ids = session.scalars(select(CampaignTask.id).where(CampaignTask.campaign_id == campaign_id)).all()
    for n, (state, minutes) in enumerate(PATTERN):
        chosen = [task_id for task_id in ids if task_id % len(PATTERN) == n]
        if not chosen:
            continue
        claimed_at = now + timedelta(minutes=minutes) if minutes is not None else None
        reported_at = now + timedelta(minutes=minutes + 30) if minutes is not None and state != "claimed" else None
        session.execute(
            update(CampaignTask)
            .where(CampaignTask.id.in_(chosen))
            .values(
                state=state,
                read_at=now if state != "notified" else None,
                claimed_at=claimed_at,
                reported_at=reported_at,
                declined_at=now if state == "declined" else None,
            )
        )


def expected_tasks(session: Session, campaign_id: int) -> list[Expected]:
    """The tasks of a campaign as the tests count them."""
    rows = session.execute(
        select(CampaignTask.id, CampaignTask.division_code, CampaignTask.role, CampaignTask.claim_due_at).where(
            CampaignTask.campaign_id == campaign_id
        )
    )
    return [Expected(*row, *PATTERN[row[0] % len(PATTERN)]) for row in rows]


def insert_campaign(session: Session, *, owner: str, now: datetime, roles: tuple[str, ...] = ROLES) -> int:
    """A campaign and its tasks written straight to the tables (no notifications, no timers): easy to remove."""
    campaign = Campaign(
        number=f"SL-BOARD-{owner}",
        template_code="typhoon",
        template=next(t for t in packaged_templates() if t.code == "typhoon"),
        title="防台风（看板测试）",
        message="",
        severity="red",
        mode="all",
        owner_division=owner,
        status="active",
        recipients=0,
        created_by="test",
        created_at=now,
    )
    session.add(campaign)
    session.flush()
    session.add_all(
        [CampaignScopeDivision(campaign_id=campaign.id, division_code=owner)]
        + [CampaignScopeRole(campaign_id=campaign.id, role=r, ordinal=n) for n, r in enumerate(roles)]
    )
    posts = select(Position.id, Position.person_id, Position.supervisor_id, Position.role, Position.division_code)
    rows = [
        {
            "campaign_id": campaign.id,
            "person_id": person_id,
            "position_id": position_id,
            "supervisor_position_id": supervisor_id,
            "role": role,
            "division_code": division,
            "state": "notified",
            "notified_at": now,
            "claim_due_at": now + timedelta(hours=1),
            "report_due_at": now + timedelta(hours=4),
            "is_far": False,
            "returned_count": 0,
        }
        for position_id, person_id, supervisor_id, role, division in session.execute(
            posts.where(Position.role.in_(roles), Position.division_code.startswith(owner))
        )
    ]
    session.execute(insert(CampaignTask), rows)
    campaign.recipients = len(rows)
    campaign_id = campaign.id
    session.commit()  # and touch nothing after it: a lazy reload would hold SQLite's write lock
    return campaign_id


def remove_campaign(session: Session, campaign_id: int) -> None:
    """Delete what `insert_campaign` wrote, and the photos a playback gave its reports."""
    tasks = select(CampaignTask.id).where(CampaignTask.campaign_id == campaign_id)
    session.execute(delete(TaskPhoto).where(TaskPhoto.task_id.in_(tasks)))
    session.execute(delete(CampaignTask).where(CampaignTask.campaign_id == campaign_id))
    session.execute(delete(Campaign).where(Campaign.id == campaign_id))
    session.commit()
