"""The campaign API under /api/v1/campaigns: templates, dispatch (one click or cascade), forwarding, reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import JSONResponse

from zhili.campaigns import templates_service
from zhili.campaigns.dispatch import cascade, closing, queries
from zhili.campaigns.dispatch import service as dispatch
from zhili.campaigns.dispatch.schemas import CampaignCreate, CampaignPreview, CampaignRead, ForwardCreate, ForwardRead
from zhili.campaigns.template import TaskTemplate
from zhili.core.auth import CurrentActor
from zhili.core.errors import InvalidInputError
from zhili.core.http import ClockDep, DbSession
from zhili.core.idempotency import respond_once
from zhili.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, CursorQuery, Page
from zhili.core.params import IdPath
from zhili.org.division_code import PATTERN as DIVISION_PATTERN

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])
Code = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{1,59}$")]


@router.get("/templates")
def list_templates(session: DbSession, _actor: CurrentActor) -> list[TaskTemplate]:
    """The task templates (任务模板): one task per role, with deadlines, evidence and points."""
    return templates_service.list_templates(session)


@router.get("/templates/{code}")
def get_template(code: Code, session: DbSession, _actor: CurrentActor) -> TaskTemplate:
    """One task template."""
    return templates_service.get_template(session, code)


@router.put("/templates/{code}")
def save_template(
    code: Code, body: TaskTemplate, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> TaskTemplate:
    """Create or replace a template (administrators); running campaigns keep the copy they were sent with."""
    if body.code != code:
        raise InvalidInputError(f"the body's code {body.code!r} is not {code!r}")
    return templates_service.save_template(session, template=body, actor=actor, clock=clock)


@router.post("/preview")
def preview_campaign(body: CampaignCreate, session: DbSession, actor: CurrentActor) -> CampaignPreview:
    """What dispatching this body would do, nothing written: the recipients per role and level, checked alike."""
    return dispatch.preview_campaign(session, data=body, actor=actor)


@router.post("", status_code=201, response_model=CampaignRead)
def dispatch_campaign(
    body: CampaignCreate,
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Dispatch a template to the people of its roles in your divisions: all at once, or level by level."""

    def create() -> CampaignRead:
        campaign = dispatch.dispatch_campaign(session, data=body, actor=actor, clock=clock)
        return queries.read_campaign(session, actor, campaign.id)

    return respond_once(
        session,
        owner=actor.audit_name,
        key=idempotency_key,
        request=("POST", "/api/v1/campaigns", body.model_dump(mode="json")),
        now=clock.now(),
        create=create,
    )


@router.get("")
def list_campaigns(
    session: DbSession,
    actor: CurrentActor,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[CampaignRead]:
    """Campaigns reaching into your scope, newest first."""
    return queries.list_campaigns(session, actor, cursor=cursor, limit=limit)


@router.get("/{campaign_id}")
def get_campaign(campaign_id: IdPath, session: DbSession, actor: CurrentActor) -> CampaignRead:
    """One campaign with its tasks counted per state."""
    return queries.read_campaign(session, actor, campaign_id)


@router.get("/{campaign_id}/forwards")
def list_forwards(campaign_id: IdPath, session: DbSession, actor: CurrentActor) -> list[ForwardRead]:
    """The steps of a cascading campaign: who received it, when, and what each level added."""
    return queries.forwards(session, actor, campaign_id)


@router.post("/{campaign_id}/forwards/{division}")
def forward_campaign(
    campaign_id: IdPath,
    division: Annotated[str, Path(pattern=DIVISION_PATTERN)],
    body: ForwardCreate,
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
) -> list[ForwardRead]:
    """Pass a cascading campaign down from your division, with this level's instructions."""
    cascade.forward_campaign(
        session, campaign_id=campaign_id, division_code=division, data=body, actor=actor, clock=clock
    )
    return queries.forwards(session, actor, campaign_id)


@router.post("/{campaign_id}/close")
def close_campaign(campaign_id: IdPath, session: DbSession, actor: CurrentActor, clock: ClockDep) -> CampaignRead:
    """Close a running campaign: no more forwards or reminders (the level that dispatched it)."""
    closing.close_campaign(session, campaign_id=campaign_id, actor=actor, clock=clock)
    return queries.read_campaign(session, actor, campaign_id)
