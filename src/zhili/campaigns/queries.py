"""Reading campaigns: one with its counts per state, a scoped list, the cascade's forwards."""

from __future__ import annotations

import json

from sqlalchemy import false, func, literal, or_, select
from sqlalchemy.orm import Session

from zhili.campaigns.dispatch import load_campaign, overlaps
from zhili.campaigns.models import Campaign, CampaignForward, CampaignTask
from zhili.campaigns.schemas import CampaignRead, ForwardRead
from zhili.core.actor_names import actor_names
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
    read = _read(campaign, {row.state: row.n for row in counts})
    names = dict(session.execute(select(Division.code, Division.name).where(Division.code.in_(read.divisions))).all())
    read.division_names = [names.get(code, code) for code in read.divisions]
    read.created_by_name = actor_names(session, [campaign.created_by]).get(campaign.created_by, "")
    return read


def _read(campaign: Campaign, counts: dict[str, int]) -> CampaignRead:
    scope = json.loads(campaign.scope)
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
        mode="cascade" if campaign.mode == "cascade" else "all",
        divisions=scope["divisions"],
        roles=scope["roles"],
        owner_division=campaign.owner_division,
        status=campaign.status,
        recipients=campaign.recipients,
        created_by=campaign.created_by,
        created_at=campaign.created_at,
        counts=counts,
    )


def list_campaigns(session: Session, actor: Actor, *, cursor: str | None, limit: int) -> Page[CampaignRead]:
    """Campaigns whose scope overlaps the actor's blocks, newest first.

    SQL keeps the campaigns whose owner division overlaps a block (the scope lies within the owner);
    the exact overlap with the scope's divisions is checked on the rows read, until a page is full.
    """
    statement = select(Campaign).order_by(Campaign.id.desc())
    if not actor.scope.is_everything:
        statement = statement.where(
            or_(
                false(),
                *(
                    or_(
                        Campaign.owner_division.startswith(prefix, autoescape=True),
                        literal(prefix).startswith(Campaign.owner_division),
                    )
                    for prefix in actor.scope.division_prefixes
                ),
            )
        )
    if cursor:
        statement = statement.where(Campaign.id < decode_cursor(cursor, (Key.INT,))[0])
    found: list[CampaignRead] = []
    rows = session.scalars(statement.execution_options(yield_per=limit + 1))
    try:
        for campaign in rows:
            if overlaps(actor, json.loads(campaign.scope)["divisions"]):
                found.append(_read(campaign, {}))
            if len(found) > limit:
                break
    finally:
        rows.close()
    next_cursor = encode_cursor([found[limit - 1].id]) if len(found) > limit else None
    return Page[CampaignRead](items=found[:limit], next_cursor=next_cursor)


def forwards(session: Session, actor: Actor, campaign_id: int) -> list[ForwardRead]:
    """The cascade's steps the actor may see, top down."""
    load_campaign(session, actor, campaign_id)
    rows = session.execute(
        select(CampaignForward, Division.name)
        .join(Division, Division.code == CampaignForward.division_code)
        .where(CampaignForward.campaign_id == campaign_id)
        .order_by(CampaignForward.division_code)
    ).all()
    names = actor_names(session, [forward.forwarded_by for forward, _ in rows])
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
            forwarded_by_name=names.get(forward.forwarded_by or "", ""),
        )
        for forward, name in rows
        if overlaps(actor, [forward.division_code])
    ]
