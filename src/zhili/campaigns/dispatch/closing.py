"""Closing a campaign: no more forwards, claims or reminders; what was done stays on record."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhili.campaigns.lifecycle import UNCLAIMED_STATES, UNREPORTED_STATES, CampaignStatus
from zhili.campaigns.models import Campaign, CampaignTask
from zhili.campaigns.tasks.sweeps import cancel_sweeps
from zhili.campaigns.visibility import load_campaign, manages_territory
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ConflictError, ForbiddenError
from zhili.notify.service import notify
from zhili.notify.wording import Name, Words


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
    """Close a running campaign (its dispatching level, or administrators); its pending sweeps are cancelled.

    Those whose task was still to claim or to report are told that it is over, in one statement (`notify`):
    their to-do went away with it, and nobody is left wondering whether it is still due.
    """
    campaign = load_campaign(session, actor, campaign_id)
    if not may_close(actor, campaign.owner_division, campaign.created_by):
        raise ForbiddenError(
            "only the level that dispatched the campaign may close it", message_key="forbidden.campaign_close"
        )
    now = clock.now()
    closed = session.execute(  # compare-and-set: of two closes at once, one closes and the other is told
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.status == CampaignStatus.ACTIVE.value)
        .values(status=CampaignStatus.CLOSED.value, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(f"campaign {campaign.number} is already {CampaignStatus.CLOSED.value}")
    session.expire(campaign)  # read again as written
    cancelled = cancel_sweeps(session, campaign.id)
    audit.record_by(
        session,
        actor,
        "campaign.closed",
        entity_type="campaign",
        entity_id=campaign.id,
        at=now,
        before={"status": CampaignStatus.ACTIVE.value},
        after={"status": CampaignStatus.CLOSED.value, "sweeps_cancelled": cancelled},
    )
    waiting = select(CampaignTask.person_id).where(
        CampaignTask.campaign_id == campaign.id, CampaignTask.state.in_([*UNCLAIMED_STATES, *UNREPORTED_STATES])
    )
    notify(
        session,
        recipients=waiting,
        topic="campaign.closed",
        severity="info",
        title=Words("notice.campaign.closed", {"campaign": Name(campaign.title, campaign.title_en)}),
        body=[Words("notice.campaign.closed_body", {"number": campaign.number})],
        key=f"campaign:{campaign.id}:closed",
        clock=clock,
        link=f"/campaigns/{campaign.id}/my-task",
        subject=f"campaign:{campaign.id}",
    )
    commit(session)
    return campaign
