"""Reading campaigns: one with its counts per state and its scope, a scoped list, the cascade's forwards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.campaigns.dispatch.schemas import CampaignRead, ForwardRead
from zhili.campaigns.lifecycle import DispatchMode
from zhili.campaigns.models import Campaign, CampaignForward, CampaignScopeDivision, CampaignScopeRole, CampaignTask
from zhili.campaigns.visibility import load_campaign, seen_actor_names, visible_campaigns, visible_forwards
from zhili.core.auth import Actor
from zhili.core.pagination import Key, Page, decode_cursor, encode_cursor
from zhili.org.models import Division


def read_campaign(session: Session, actor: Actor, campaign_id: int) -> CampaignRead:
    """One campaign the actor may see, with its tasks counted per state."""
    campaign = load_campaign(session, actor, campaign_id)
    counts = session.execute(
        select(CampaignTask.state, func.count().label("n"))
        .where(CampaignTask.campaign_id == campaign.id)
        .group_by(CampaignTask.state)
    )
    read = _read(campaign, scopes_of(session, [campaign.id])[campaign.id], {row.state: row.n for row in counts})
    codes = [*read.divisions, campaign.owner_division]
    names = dict(session.execute(select(Division.code, Division.name).where(Division.code.in_(codes))).all())
    read.division_names = [names.get(code, code) for code in read.divisions]
    read.owner_division_name = names.get(campaign.owner_division, "")
    creator = seen_actor_names(session, actor, [campaign.created_by])
    read.created_by_name = creator.get(campaign.created_by) or ""
    read.created_by_withheld = campaign.created_by in creator and creator[campaign.created_by] is None
    return read


@dataclass
class CampaignScope:
    """The divisions (sorted) and roles (in the template's order) a campaign was sent to."""

    divisions: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)


def scopes_of(session: Session, campaign_ids: Sequence[int]) -> dict[int, CampaignScope]:
    """The scope rows of these campaigns, two queries for any number of them."""
    found = {campaign_id: CampaignScope() for campaign_id in campaign_ids}
    divisions = select(CampaignScopeDivision.campaign_id, CampaignScopeDivision.division_code).where(
        CampaignScopeDivision.campaign_id.in_(campaign_ids)
    )
    for campaign_id, code in session.execute(divisions.order_by(CampaignScopeDivision.division_code)):
        found[campaign_id].divisions.append(code)
    roles = select(CampaignScopeRole.campaign_id, CampaignScopeRole.role).where(
        CampaignScopeRole.campaign_id.in_(campaign_ids)
    )
    for campaign_id, role in session.execute(roles.order_by(CampaignScopeRole.ordinal)):
        found[campaign_id].roles.append(role)
    return found


def _read(campaign: Campaign, scope: CampaignScope, counts: dict[str, int]) -> CampaignRead:
    return CampaignRead(
        id=campaign.id,
        number=campaign.number,
        template_code=campaign.template_code,
        template_name_zh=campaign.template_name_zh,
        template_name_en=campaign.template_name_en,
        title=campaign.title,
        title_en=campaign.title_en,
        message=campaign.message,
        severity=campaign.severity,
        mode=DispatchMode.CASCADE if campaign.mode == DispatchMode.CASCADE else DispatchMode.ALL,
        divisions=scope.divisions,
        roles=scope.roles,
        owner_division=campaign.owner_division,
        status=campaign.status,
        recipients=campaign.recipients,
        created_by=campaign.created_by,
        created_at=campaign.created_at,
        counts=counts,
    )


def list_campaigns(session: Session, actor: Actor, *, cursor: str | None, limit: int) -> Page[CampaignRead]:
    """The campaigns the actor sees (`visibility.visible_campaigns`, in SQL), newest first."""
    statement = select(Campaign).where(visible_campaigns(actor)).order_by(Campaign.id.desc())
    if cursor:
        statement = statement.where(Campaign.id < decode_cursor(cursor, (Key.INT,))[0])
    found = list(session.scalars(statement.limit(limit + 1)))
    page = found[:limit]
    scopes = scopes_of(session, [campaign.id for campaign in page])
    next_cursor = encode_cursor([page[-1].id]) if len(found) > limit else None
    return Page[CampaignRead](items=[_read(c, scopes[c.id], {}) for c in page], next_cursor=next_cursor)


def forwards(session: Session, actor: Actor, campaign_id: int) -> list[ForwardRead]:
    """The cascade's steps the actor may see, top down."""
    load_campaign(session, actor, campaign_id)
    rows = session.execute(
        select(CampaignForward, Division.name)
        .join(Division, Division.code == CampaignForward.division_code)
        .where(CampaignForward.campaign_id == campaign_id, visible_forwards(actor))
        .order_by(CampaignForward.division_code)
    ).all()
    names = seen_actor_names(session, actor, [forward.forwarded_by for forward, _ in rows])
    return [
        ForwardRead(
            id=forward.id,
            division_code=forward.division_code,
            division_name=name,
            parent_id=forward.parent_id,
            instructions=forward.instructions,
            received_at=forward.received_at,
            forwarded_at=forward.forwarded_at,
            forwarded_by=forward.forwarded_by,
            forwarded_by_name=names.get(forward.forwarded_by or "") or "",
            forwarded_by_withheld=(forward.forwarded_by or "") in names and names[forward.forwarded_by or ""] is None,
        )
        for forward, name in rows
    ]
