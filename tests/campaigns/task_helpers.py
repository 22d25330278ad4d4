"""Task tests' helpers: demo actors, a typhoon campaign dispatched to 湖镇镇's first grid, a task by login."""

from __future__ import annotations

import struct
import zlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.access.models import Account
from zhili.access.service import actor_for
from zhili.campaigns.dispatch.schemas import CampaignCreate
from zhili.campaigns.dispatch.service import dispatch_campaign
from zhili.campaigns.models import Campaign, CampaignScopeDivision, CampaignScopeRole, CampaignTask
from zhili.campaigns.templates_service import get_template
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.org.geometry import areal_from_geojson
from zhili.org.models import Division, Position


def actor_of(session: Session, username: str) -> Actor:
    """The Actor of a demo login."""
    account = session.scalars(select(Account).where(Account.username == username)).one()
    return actor_for(session, account)


def post_of(session: Session, username: str, role: str) -> Position:
    """The post of a role held by a demo login's person."""
    person_id = actor_of(session, username).person_id
    return session.scalars(select(Position).where(Position.person_id == person_id, Position.role == role)).one()


def partymember_grid(session: Session) -> str:
    """The grid of the `partymember` login (湖镇镇's first grid): `gridhead` heads it."""
    return post_of(session, "partymember", "party_member").division_code


def dispatch_typhoon(session: Session, clock: Clock, *, divisions: list[str] | None = None) -> Campaign:
    """The typhoon template sent by 龙游县's centre to the partymember's grid (or the divisions given)."""
    data = CampaignCreate(
        template="typhoon", divisions=divisions or [partymember_grid(session)], message="台风“烟花”今夜登陆。"
    )
    return dispatch_campaign(session, data=data, actor=actor_of(session, "ly-centre"), clock=clock)


def insert_task(session: Session, username: str, role: str, *, at: datetime) -> tuple[int, int]:
    """A typhoon campaign with one task for a demo login's post, inserted directly and committed: (campaign, task)."""
    post = post_of(session, username, role)
    template = get_template(session, "typhoon")
    role_task = template.task_for(role)
    campaign = Campaign(
        number=f"SLT{at:%H%M%S}{post.id}"[:24],
        template_code=template.code,
        template=template,
        title=template.name_zh,
        message="",
        severity=template.severity,
        mode="all",
        owner_division=post.division_code,
        status="active",
        recipients=1,
        created_by="test",
        created_at=at,
    )
    session.add(campaign)
    session.flush()
    session.add_all(
        [CampaignScopeDivision(campaign_id=campaign.id, division_code=post.division_code)]
        + [CampaignScopeRole(campaign_id=campaign.id, role=r, ordinal=n) for n, r in enumerate([role])]
    )
    task = CampaignTask(
        campaign_id=campaign.id,
        person_id=post.person_id,
        position_id=post.id,
        supervisor_position_id=post.supervisor_id,
        role=role,
        division_code=post.division_code,
        state="notified",
        notified_at=at,
        claim_due_at=at + timedelta(minutes=role_task.claim_minutes),
        report_due_at=at + timedelta(minutes=role_task.report_minutes),
        is_far=False,
        returned_count=0,
    )
    session.add(task)
    session.commit()
    return campaign.id, task.id


def task_of(session: Session, campaign: Campaign, username: str) -> CampaignTask:
    """The task a demo login's person received in a campaign."""
    person_id = actor_of(session, username).person_id
    return session.scalars(
        select(CampaignTask).where(CampaignTask.campaign_id == campaign.id, CampaignTask.person_id == person_id)
    ).one()


def point_in(session: Session, division_code: str) -> dict[str, float]:
    """A point inside a division's polygon."""
    geometry = session.scalars(select(Division.geometry).where(Division.code == division_code)).one()
    point = areal_from_geojson(geometry).representative_point()
    return {"lon": point.x, "lat": point.y}


def point_far_from(session: Session, division_code: str, *, degrees: float = 0.1) -> dict[str, float]:
    """A point about 11 km north of a division's polygon."""
    geometry = session.scalars(select(Division.geometry).where(Division.code == division_code)).one()
    _min_lon, _min_lat, _max_lon, max_lat = areal_from_geojson(geometry).bounds
    inside = point_in(session, division_code)
    return {"lon": inside["lon"], "lat": max_lat + degrees}


def png() -> bytes:
    """A real 1×1 PNG (photos are checked by their bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def gridhead_report(session: Session, task: CampaignTask, photo_ids: list[int]) -> dict[str, Any]:
    """A complete report for the grid head's typhoon task (text, photo, GPS inside the grid)."""
    return {
        "text": "已巡查网格，危房人员已转移",
        "photo_ids": photo_ids,
        "point": point_in(session, task.division_code),
    }
