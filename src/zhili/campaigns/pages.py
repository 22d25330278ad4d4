"""Campaign pages: the list with the dispatch form, one campaign with its cascade, the templates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from zhili.campaigns import cascade, closing, dispatch, queries, templates_service
from zhili.campaigns.schemas import CampaignCreate, ForwardCreate
from zhili.core.auth import PageActor
from zhili.core.errors import InvalidInputError
from zhili.core.http import ClockDep, DbSession
from zhili.core.params import IdPath
from zhili.org.roles import role_name
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)


@router.get("/campaigns")
def campaigns_page(request: Request, session: DbSession, actor: PageActor, cursor: str | None = None) -> Response:
    """Campaigns reaching into my scope, and the dispatch form (按需成单)."""
    return renderer(request).render(
        request,
        "campaigns/list.html",
        {
            "actor": actor,
            "campaigns": queries.list_campaigns(session, actor, cursor=cursor, limit=50),
            "templates": templates_service.list_templates(session),
            "divisions": actor.write_scope.division_prefixes,
            "role_name": role_name,
        },
    )


@router.post("/campaigns")
async def dispatch_from_form(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Dispatch the template chosen on the form."""
    data = _campaign_from_form(await request.form())
    campaign = await run_in_threadpool(dispatch.dispatch_campaign, session, data=data, actor=actor, clock=clock)
    return RedirectResponse(f"/campaigns/{campaign.id}", status_code=303)


def _campaign_from_form(form: FormData) -> CampaignCreate:
    divisions = [d.strip() for d in str(form.get("divisions") or "").replace("，", ",").split(",") if d.strip()]
    roles = [r for r in form.getlist("role") if isinstance(r, str)]
    payload = {
        "template": form.get("template"),
        "divisions": divisions,
        "roles": roles or None,
        "mode": form.get("mode") or "all",
        "message": form.get("message") or "",
    }
    try:
        return CampaignCreate.model_validate(payload)
    except ValueError as exc:
        raise InvalidInputError(f"the dispatch form is incomplete: {exc}") from exc


@router.get("/campaigns/templates")
def templates_page(request: Request, session: DbSession, actor: PageActor) -> Response:
    """The task templates: one task per role with deadlines, evidence and points."""
    return renderer(request).render(
        request,
        "campaigns/templates.html",
        {"actor": actor, "templates": templates_service.list_templates(session), "role_name": role_name},
    )


@router.get("/campaigns/{campaign_id}")
def campaign_page(request: Request, campaign_id: IdPath, session: DbSession, actor: PageActor) -> Response:
    """One campaign: its counts, and for a cascade every level's step with the forward form where it is mine."""
    campaign = queries.read_campaign(session, actor, campaign_id)
    steps = queries.forwards(session, actor, campaign_id)
    return renderer(request).render(
        request,
        "campaigns/detail.html",
        {"actor": actor, "campaign": campaign, "steps": steps, "managed": actor.write_scope.division_prefixes},
    )


@router.post("/campaigns/{campaign_id}/forwards/{division}")
async def forward_from_form(
    request: Request,
    campaign_id: IdPath,
    division: Annotated[str, Path(pattern=r"^\d{6,15}$")],
    session: DbSession,
    actor: PageActor,
    clock: ClockDep,
) -> Response:
    """Forward the campaign from one of my divisions with this level's instructions."""
    form = await request.form()
    data = ForwardCreate(instructions=str(form.get("instructions") or "")[:2000])
    await run_in_threadpool(
        cascade.forward_campaign,
        session,
        campaign_id=campaign_id,
        division_code=division,
        data=data,
        actor=actor,
        clock=clock,
    )
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


@router.post("/campaigns/{campaign_id}/close")
async def close_from_form(
    request: Request, campaign_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """Close the campaign from its page."""
    await request.form()
    await run_in_threadpool(closing.close_campaign, session, campaign_id=campaign_id, actor=actor, clock=clock)
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)
