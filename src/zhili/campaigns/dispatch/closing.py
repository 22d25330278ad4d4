"""Closing a campaign: no more forwards, claims or reminders; what was done stays on record."""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhili.campaigns.models import Campaign
from zhili.campaigns.tasks.sweeps import cancel_sweeps
from zhili.campaigns.visibility import load_campaign, manages_territory
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ConflictError, ForbiddenError


def may_close(actor: Actor, owner_division: str, created_by: str | None = None) -> bool:
    """Who closes a campaign: administrators, whoever dispatched it, or the level that dispatched it or one above.

    That is a territorial managing post (a centre, a township's command room) whose block holds the
    dispatching division: a township the campaign was sent or forwarded to reads and forwards it, and a
    department head's strip grant over the county does not make them the level that dispatched it.
    """
    if actor.is_admin or (created_by is not None and created_by == actor.audit_name):
        return True
    return manages_territory(actor, owner_division)


def close_campaign(session: Session, *, campaign_id: int, actor: Actor, clock: Clock) -> Campaign:
    """Close a running campaign (its dispatching level, or administrators); its pending sweeps are cancelled."""
    campaign = load_campaign(session, actor, campaign_id)
    if not may_close(actor, campaign.owner_division, campaign.created_by):
        raise ForbiddenError("only the level that dispatched the campaign may close it")
    if campaign.status != "active":
        raise ConflictError(f"campaign {campaign.number} is already {campaign.status}")
    now = clock.now()
    campaign.status, campaign.closed_at = "closed", now
    cancelled = cancel_sweeps(session, campaign.id)
    audit.record_by(
        session,
        actor,
        "campaign.closed",
        entity_type="campaign",
        entity_id=campaign.id,
        at=now,
        before={"status": "active"},
        after={"status": "closed", "sweeps_cancelled": cancelled},
    )
    commit(session)
    return campaign
