"""Dispatching a campaign: one click to everyone in scope, set-based; or level by level (逐级派单).

The hot path of the product. One click is, per role, ONE `INSERT … SELECT` of the tasks from the
posts in scope and ONE `notify` (an `INSERT … SELECT` per channel), all in one transaction with the
campaign row, its sweeps and its audit record: a crash leaves the whole campaign or none of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhili.campaigns.dispatch.cascade import open_cascade
from zhili.campaigns.dispatch.fanout import add_tasks, recipient_counts, recipients
from zhili.campaigns.dispatch.schemas import CampaignCreate, CampaignPreview, PreviewCount, PreviewDivision
from zhili.campaigns.lifecycle import CampaignStatus, DispatchMode
from zhili.campaigns.models import Campaign, CampaignScopeDivision, CampaignScopeRole
from zhili.campaigns.tasks.sweeps import schedule_sweeps
from zhili.campaigns.template import TaskTemplate
from zhili.campaigns.templates_service import get_template
from zhili.campaigns.visibility import require_division
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ForbiddenError, InvalidInputError
from zhili.core.ids import take_id
from zhili.core.local_time import to_local
from zhili.org.division_code import LEVELS as DIVISION_LEVELS
from zhili.org.division_code import DivisionCode, codes_of, common_ancestor, outermost
from zhili.org.models import Division, Position

# The levels a campaign reaches, in the order the preview lists them (a province has no posts here).
LEVELS = tuple(level.value for level in DIVISION_LEVELS[1:])


def preview_campaign(session: Session, *, data: CampaignCreate, actor: Actor) -> CampaignPreview:
    """What `dispatch_campaign` would send, checked the same way and counted with the fan-out's selection."""
    template = get_template(session, data.template)
    roles = _roles(template, data.roles)
    divisions = _divisions(session, actor, data.divisions)
    rows = sorted(
        recipient_counts(session, roles=roles, within=divisions),
        key=lambda row: (roles.index(row[0]), LEVELS.index(row[1]) if row[1] in LEVELS else len(LEVELS)),
    )
    by_role = {role: sum(n for r, _level, n in rows if r == role) for role in roles}
    by_level: dict[str, int] = {}
    for _role, level, n in rows:
        by_level[level] = by_level.get(level, 0) + n
    named = session.execute(select(Division.code, Division.name, Division.level).where(Division.code.in_(divisions)))
    return CampaignPreview(
        template=template.code,
        mode=data.mode,
        divisions=[PreviewDivision(code=c, name=n, level=lv) for c, n, lv in sorted(named)],
        roles=roles,
        counts=[PreviewCount(role=role, level=level, recipients=n) for role, level, n in rows],
        by_role=by_role,
        by_level=by_level,
        total=sum(by_role.values()),
    )


def dispatch_campaign(session: Session, *, data: CampaignCreate, actor: Actor, clock: Clock) -> Campaign:
    """Create a campaign and (one click) its tasks and notifications; the same alert twice is one campaign."""
    if data.source_key and (found := _by_source(session, data.source_key)) is not None:
        return found
    template = get_template(session, data.template)
    roles = _roles(template, data.roles)
    divisions = _divisions(session, actor, data.divisions)
    now = clock.now()
    campaign = _new_campaign(
        session, data=data, template=template, roles=roles, divisions=divisions, actor=actor, now=now
    )
    if data.mode == DispatchMode.ALL:
        campaign.recipients = sum(
            add_tasks(session, campaign=campaign, template=template, role=role, within=divisions, now=now, clock=clock)
            for role in roles
        )
        if not campaign.recipients:
            session.rollback()
            raise _nobody(roles, divisions)
        schedule_sweeps(session, campaign_id=campaign.id, template=template, roles=roles, dispatched_at=now)
    else:
        reachable = session.scalar(select(Position.id).where(recipients(roles, divisions)).limit(1))
        if reachable is None:
            session.rollback()
            raise _nobody(roles, divisions)
        open_cascade(session, campaign=campaign, divisions=divisions, clock=clock)
    _audit(session, campaign, {"divisions": divisions, "roles": roles}, actor, now)
    try:
        commit(session)
    except IntegrityError:
        session.rollback()
        if data.source_key and (found := _by_source(session, data.source_key)) is not None:
            return found  # the same alert dispatched at the same moment elsewhere: theirs won
        raise
    return campaign


def _nobody(roles: Sequence[str], divisions: Sequence[str]) -> InvalidInputError:
    return InvalidInputError(
        f"the scope matches nobody: no {', '.join(roles)} in {', '.join(divisions)}",
        errors=[{"field": "divisions", "message": "no recipient", "reason": "nobody"}],
    )


def _by_source(session: Session, source_key: str) -> Campaign | None:
    return session.scalars(select(Campaign).where(Campaign.source_key == source_key)).first()


def _roles(template: TaskTemplate, asked: Sequence[str] | None) -> list[str]:
    known = list(template.roles)
    if asked is None:
        return known
    unknown = sorted(set(asked) - set(known))
    if unknown or not asked:
        raise InvalidInputError(
            f"template {template.code!r} has tasks for {', '.join(known)}; not for {', '.join(unknown) or 'nobody'}",
            errors=[{"field": "roles", "message": f"not in the template: {', '.join(unknown)}", "reason": "role"}],
        )
    return [role for role in known if role in asked]


def _divisions(session: Session, actor: Actor, codes: Sequence[str]) -> list[str]:
    """The scope: existing divisions the actor manages, without one nested in another."""
    found = set(session.scalars(select(Division.code).where(Division.code.in_(codes))))
    missing = sorted(set(codes) - found)
    if missing:
        raise InvalidInputError(
            f"unknown division codes: {', '.join(missing)}",
            errors=[{"field": "divisions", "message": f"unknown: {', '.join(missing)}", "reason": "unknown"}],
        )
    for code in sorted(found):
        require_division(actor, code)
        if not actor.block_write_scope.reaches_place(code):
            raise ForbiddenError(
                f"you may not dispatch to {code}: only its centre or command room may",
                errors=[{"field": "divisions", "message": f"not managed: {code}", "reason": "not_managed"}],
                message_key="forbidden.dispatch_outside",
            )
    return [code.value for code in outermost(codes_of(found))]


def owner_of(divisions: Sequence[str]) -> str:
    """The deepest division code that contains every division of the scope (a micro-grid's own code too)."""
    shared = common_ancestor(codes_of(divisions))
    return shared.value if shared is not None else DivisionCode(divisions[0]).lineage[0].value


def dispatching_division(actor: Actor, divisions: Sequence[str]) -> str:
    """The division that dispatches the campaign: the dispatcher's own block over the scope, not the scope's.

    A county centre that dispatches to one township only still owns the campaign (the township received it
    and may forward it, not close it): the outermost of the actor's managing blocks holding the scope.
    Administrators and the system (alert rules) dispatch from the scope's own common division.
    """
    shared = owner_of(divisions)
    if actor.is_admin:
        return shared
    holding = [prefix for prefix in actor.block_write_scope.division_prefixes if prefix and shared.startswith(prefix)]
    return min(holding, key=len) if holding else shared


def _new_campaign(
    session: Session,
    *,
    data: CampaignCreate,
    template: TaskTemplate,
    roles: list[str],
    divisions: list[str],
    actor: Actor,
    now: datetime,
) -> Campaign:
    campaign_id = take_id(session, "campaigns")
    campaign = Campaign(
        id=campaign_id,
        number=f"SL{to_local(now):%Y}{campaign_id:06d}",  # the local year it was dispatched in
        template_code=template.code,
        template=template,
        title=data.title or template.name_zh,
        message=data.message,
        severity=template.severity,
        mode=data.mode.value,
        owner_division=dispatching_division(actor, divisions),
        status=CampaignStatus.ACTIVE.value,
        source_key=data.source_key,
        recipients=0,
        created_by=actor.audit_name,
        created_at=now,
    )
    session.add(campaign)
    session.flush()
    session.execute(
        insert(CampaignScopeDivision), [{"campaign_id": campaign.id, "division_code": code} for code in divisions]
    )
    session.execute(
        insert(CampaignScopeRole),
        [{"campaign_id": campaign.id, "role": role, "ordinal": n} for n, role in enumerate(roles)],
    )
    return campaign


def _audit(session: Session, campaign: Campaign, scope: dict[str, list[str]], actor: Actor, now: datetime) -> None:
    after: dict[str, Any] = {
        "number": campaign.number,
        "template": campaign.template_code,
        "mode": campaign.mode,
        "scope": scope,
        "recipients": campaign.recipients,
        "source_key": campaign.source_key,
    }
    audit.record_by(
        session, actor, "campaign.dispatched", entity_type="campaign", entity_id=campaign.id, at=now, after=after
    )
