"""Cascading dispatch (逐级派单): county → township → village → people, each level adding its instructions.

A cascade campaign starts with a `CampaignForward` for each division of its scope. The division's
centre or command room forwards it: a county or township opens a forward for each child division
that has someone to reach; a village (or grid) creates the tasks of everyone in it, each task
remembering the forward it came through, so the record shows the path every task took.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from zhili.campaigns.dispatch.fanout import add_tasks
from zhili.campaigns.dispatch.schemas import ForwardCreate
from zhili.campaigns.lifecycle import CampaignStatus
from zhili.campaigns.models import Campaign, CampaignForward, CampaignScopeRole
from zhili.campaigns.tasks.sweeps import schedule_sweeps
from zhili.campaigns.visibility import opens_division, own_villages
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ConflictError, ForbiddenError, NotFoundError
from zhili.notify.service import notify
from zhili.notify.wording import Name, Words
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.models import Division, Position
from zhili.org.roles import Role

FORWARDING_ROLES = (Role.CENTRE_STAFF.value, Role.TOWNSHIP_COMMAND.value, Role.VILLAGE_CADRE.value)


def open_cascade(session: Session, *, campaign: Campaign, divisions: Sequence[str], clock: Clock) -> None:
    """The first level of a cascade: one forward per division of the scope, its managers told."""
    now = clock.now()
    session.execute(
        insert(CampaignForward),
        [
            {"campaign_id": campaign.id, "division_code": code, "received_at": now, "instructions": ""}
            for code in divisions
        ],
    )
    _tell_managers(session, campaign=campaign, divisions=divisions, clock=clock)


def forward_campaign(
    session: Session, *, campaign_id: int, division_code: str, data: ForwardCreate, actor: Actor, clock: Clock
) -> CampaignForward:
    """Pass the campaign down from one division: to its child divisions, or (at a village) to its people."""
    forward = session.scalars(
        select(CampaignForward)
        .where(CampaignForward.campaign_id == campaign_id, CampaignForward.division_code == division_code)
        .with_for_update()
    ).first()
    if forward is None or not opens_division(actor, division_code):
        raise NotFoundError(f"campaign {campaign_id} has not reached {division_code}")
    _require_forwarder(actor, division_code)
    if forward.forwarded_at is not None:
        raise ConflictError(f"{division_code} already forwarded this campaign at {forward.forwarded_at.isoformat()}")
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != CampaignStatus.ACTIVE:
        raise ConflictError("the campaign is closed")
    now = clock.now()
    forward.forwarded_at, forward.forwarded_by, forward.instructions = now, actor.audit_name, data.instructions
    template = campaign.template
    roles = list(
        session.scalars(
            select(CampaignScopeRole.role)
            .where(CampaignScopeRole.campaign_id == campaign_id)
            .order_by(CampaignScopeRole.ordinal)
        )
    )
    if DivisionCode(division_code).has_level(DivisionLevel.VILLAGE):
        added = sum(
            add_tasks(
                session,
                campaign=campaign,
                template=template,
                role=role,
                within=[division_code],
                now=now,
                clock=clock,
                forward_id=forward.id,
            )
            for role in roles
        )
        campaign.recipients += added
        if added:
            schedule_sweeps(session, campaign_id=campaign.id, template=template, roles=roles, dispatched_at=now)
    else:
        children = _children_with_people(session, division_code, roles)
        session.execute(
            insert(CampaignForward),
            [
                {
                    "campaign_id": campaign_id,
                    "division_code": code,
                    "parent_id": forward.id,
                    "received_at": now,
                    "instructions": "",
                }
                for code in children
            ],
        )
        _tell_managers(session, campaign=campaign, divisions=children, clock=clock)
    audit.record_by(
        session,
        actor,
        "campaign.forwarded",
        entity_type="campaign",
        entity_id=campaign_id,
        at=now,
        after={"division": division_code, "instructions": data.instructions},
    )
    commit(session)
    return forward


def own_levels(actor: Actor) -> frozenset[str]:
    """The divisions the actor forwards from as their own level: a centre's or command room's, a village cadre's.

    The campaign page shows a step of these as the reader's to do (the form at the top, with why); the steps below
    them are forwarded from the short form of the record. A village cadre writes nothing else, so has no write scope.
    """
    own = set(actor.block_write_scope.division_prefixes)
    if actor.has_any_role([Role.VILLAGE_CADRE.value]):
        own |= own_villages(actor)
    return frozenset(own)


def _require_forwarder(actor: Actor, division_code: str) -> None:
    if actor.is_admin or actor.block_write_scope.reaches_place(division_code):
        return
    if actor.has_any_role([Role.VILLAGE_CADRE.value]) and DivisionCode(division_code).has_level(DivisionLevel.VILLAGE):
        return
    raise ForbiddenError(
        f"only the centre or command room of {division_code} may forward this campaign", message_key="forbidden.forward"
    )


def _children_with_people(session: Session, division_code: str, roles: Sequence[str]) -> list[str]:
    child = Division.code
    someone = exists().where(Position.role.in_(roles), Position.division_code.startswith(child))
    rows = session.scalars(
        select(Division.code).where(Division.parent_code == division_code, someone).order_by(Division.code)
    )
    return list(rows)


def _tell_managers(session: Session, *, campaign: Campaign, divisions: Sequence[str], clock: Clock) -> None:
    if not divisions:
        return
    managers = select(Position.person_id).where(
        Position.division_code.in_(divisions), Position.role.in_(FORWARDING_ROLES)
    )
    notify(
        session,
        recipients=managers,
        topic="campaign.forward",
        severity=campaign.severity,
        title=Words("notice.campaign.forward", {"campaign": Name(campaign.title, campaign.title_en)}),
        body=[campaign.message, Words("notice.campaign.forward_body")],
        key=f"campaign:{campaign.id}:forward:{'-'.join(divisions)[:60]}",
        clock=clock,
        link=f"/campaigns/{campaign.id}",
        subject=f"campaign:{campaign.id}",
    )
