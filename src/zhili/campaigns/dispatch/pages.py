"""Campaign pages: the list with the dispatch form, one campaign with its cascade, the templates."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from zhili.campaigns import templates_service
from zhili.campaigns.dispatch import cascade, closing, queries
from zhili.campaigns.dispatch import form as dispatch_form
from zhili.campaigns.dispatch import service as dispatch
from zhili.campaigns.dispatch.form import DispatchForm
from zhili.campaigns.dispatch.schemas import CampaignPreview, ForwardCreate
from zhili.campaigns.template import FIELD_ROLES, MAX_MESSAGE, TaskTemplate
from zhili.core.auth import Actor, PageActor
from zhili.core.clock import Clock
from zhili.core.errors import ConflictError, DomainError, NotFoundError
from zhili.core.http import ClockDep, DbSession
from zhili.core.idempotency import fingerprint, run_once
from zhili.core.pagination import CursorQuery
from zhili.core.params import IdPath
from zhili.org.division_code import PATTERN as DIVISION_PATTERN
from zhili.org.roles import role_name
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)


@router.get("/campaigns")
def campaigns_page(request: Request, session: DbSession, actor: PageActor, cursor: CursorQuery = None) -> Response:
    """Campaigns in my scope and the dispatch form (按需成单), filled from the query when 返回修改 sends it back."""
    return _list_page(request, session, actor, DispatchForm.read(request.query_params), cursor=cursor)


def _list_page(
    request: Request,
    session: Session,
    actor: Actor,
    form: DispatchForm,
    *,
    cursor: CursorQuery = None,
    status_code: int = 200,
) -> Response:
    templates = templates_service.list_templates(session)
    lang = renderer(request).language(request)
    _name_the_templates_roles(form, templates, lang)
    return renderer(request).render(
        request,
        "campaigns/list.html",
        {
            "actor": actor,
            "campaigns": queries.list_campaigns(session, actor, cursor=cursor, limit=50),
            "templates": templates,
            "template_names": {tpl.code: tpl.name_en if lang == "en" else tpl.name_zh for tpl in templates},
            "roots": dispatch_form.roots(session, actor) if actor.block_write_scope.division_prefixes else [],
            "form": form,
            "chosen": dispatch_form.division_names(session, form.codes),
            "offered_roles": _offered_roles(templates, form),
            "role_name": role_name,
        },
        status_code=status_code,
    )


def _offered_roles(templates: list[TaskTemplate], form: DispatchForm) -> tuple[str, ...]:
    """The role boxes to tick: those the chosen template (else the first, as its select shows) has tasks for.

    A role already ticked stays, so a refused form shows what was sent beside its error.
    """
    chosen = _chosen_template(templates, form.template)
    offered = set(chosen.roles if chosen else FIELD_ROLES) | set(form.roles)
    return tuple(role for role in FIELD_ROLES if role in offered)


def _chosen_template(templates: list[TaskTemplate], code: str) -> TaskTemplate | None:
    """The template the form names, else the first (the one its select shows)."""
    return _template_named(templates, code) or (templates[0] if templates else None)


def _template_named(templates: list[TaskTemplate], code: str) -> TaskTemplate | None:
    return next((tpl for tpl in templates if tpl.code == code), None)


def _name_the_templates_roles(form: DispatchForm, templates: list[TaskTemplate], lang: str) -> None:
    """A refusal of the ticked roles names the roles the chosen template does have."""
    if form.errors.get("roles", ("",))[0] != "campaigns.error.role":
        return
    chosen = _template_named(templates, form.template)
    if chosen is not None:
        names = ("、" if lang == "zh" else ", ").join(role_name(role, lang) for role in chosen.roles)
        form.errors["roles"] = ("campaigns.error.role_of", {"roles": names})


@router.get("/campaigns/divisions/{code}")
def division_children(
    request: Request, code: Annotated[str, Path(pattern=DIVISION_PATTERN)], session: DbSession, actor: PageActor
) -> Response:
    """The subdivisions of a managed division, for the dispatch form's tree (an htmx fragment)."""
    nodes = dispatch_form.children(session, actor, code)
    return renderer(request).templates.TemplateResponse(
        request, "campaigns/_tree.html", {"nodes": nodes, "lang": renderer(request).language(request)}
    )


@router.get("/campaigns/places")
def place_suggestions(
    request: Request, session: DbSession, actor: PageActor, places: Annotated[str, Query(max_length=400)] = ""
) -> Response:
    """Divisions I manage that the last typed name may mean, to tick (an htmx fragment)."""
    found = dispatch_form.suggestions(session, actor, places) if actor.block_write_scope.division_prefixes else []
    return renderer(request).templates.TemplateResponse(request, "campaigns/_places.html", {"found": found})


@router.get("/campaigns/roles")
def template_roles(
    request: Request,
    session: DbSession,
    actor: PageActor,
    template: Annotated[str, Query(max_length=60)] = "",
    role: Annotated[list[str], Query(max_length=len(FIELD_ROLES))] = [],  # noqa: B006 - FastAPI copies the default
) -> Response:
    """The role boxes of the template just chosen, those still ticked kept (an htmx fragment)."""
    _require_dispatcher(actor)
    templates = templates_service.list_templates(session)
    chosen = _chosen_template(templates, template)
    kept = [r for r in role if chosen is None or r in chosen.roles]
    form = DispatchForm(template=template, roles=kept)
    context = {"form": form, "offered_roles": _offered_roles(templates, form), "role_name": role_name}
    return renderer(request).render(request, "campaigns/_roles.html", context)


@router.post("/campaigns/preview")
async def preview_from_form(request: Request, session: DbSession, actor: PageActor) -> Response:
    """Step two: how many people of each role and level the dispatch reaches, and the confirm button."""
    _require_dispatcher(actor)
    form = DispatchForm.read(await request.form())
    return await run_in_threadpool(_preview_page, request, session, actor, form)


def _preview_page(request: Request, session: Session, actor: Actor, form: DispatchForm) -> Response:
    preview = _preview(session, actor, form)
    if preview is None:
        return _list_page(request, session, actor, form, status_code=422)
    template = templates_service.get_template(session, preview.template)
    lang = renderer(request).language(request)
    return renderer(request).render(
        request,
        "campaigns/preview.html",
        {
            "actor": actor,
            "form": form,
            "preview": preview,
            "template_name": template.name_en if lang == "en" else template.name_zh,
            "levels": [level for level in dispatch.LEVELS if level in preview.by_level],
            "cells": {(c.role, c.level): c.recipients for c in preview.counts},
            # The roles chosen that nobody in the area holds: said, not left as a row of zeros.
            "unreached": [role_name(role, lang) for role in preview.roles if not preview.by_role.get(role, 0)],
            "key": uuid.uuid4().hex,
            "role_name": role_name,
            "back": "/campaigns?" + form.query([d.code for d in preview.divisions]) + "#dispatch",
        },
    )


def _preview(session: Session, actor: Actor, form: DispatchForm) -> CampaignPreview | None:
    dispatch_form.resolve(session, actor, form)
    if form.errors:
        return None
    try:
        preview = dispatch.preview_campaign(session, data=form.create(), actor=actor)
    except (DomainError, ValueError) as exc:
        _refuse(form, exc)
        return None
    if not preview.total:
        form.errors["divisions"] = ("campaigns.error.nobody", {})
        return None
    return preview


def _refuse(form: DispatchForm, exc: Exception) -> None:
    if isinstance(exc, DomainError):
        form.refuse(exc)
    else:
        form.errors["template"] = ("campaigns.error.invalid", {})


@router.post("/campaigns")
async def dispatch_from_form(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Step three, the confirmation: dispatch what the preview showed (once, however often it is pressed)."""
    _require_dispatcher(actor)
    raw = await request.form()
    form = DispatchForm.read(raw)
    key = str(raw.get("idempotency_key") or "")[:200] or uuid.uuid4().hex
    campaign_id = await run_in_threadpool(_dispatch, session, actor, clock, form, key)
    if campaign_id is None:
        return await run_in_threadpool(_list_page, request, session, actor, form, status_code=422)
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


def _dispatch(session: Session, actor: Actor, clock: Clock, form: DispatchForm, key: str) -> int | None:
    dispatch_form.resolve(session, actor, form)
    if form.errors:
        return None
    try:
        data = form.create()

        def act() -> tuple[int, Any]:
            return 201, {"id": dispatch.dispatch_campaign(session, data=data, actor=actor, clock=clock).id}

        stored = run_once(
            session,
            owner=actor.audit_name,
            key=key,
            request_fingerprint=fingerprint("POST", "/campaigns", data.model_dump(mode="json")),
            now=clock.now(),
            action=act,
        )
    except (DomainError, ValueError) as exc:
        session.rollback()
        _refuse(form, exc)
        return None
    return int(stored.body["id"])


def _require_dispatcher(actor: Actor) -> None:
    """Only those who manage a division dispatch; others do not see the form (404 like any unseen page)."""
    if not actor.block_write_scope.division_prefixes:
        raise NotFoundError("no dispatch form here: you manage no division")


@router.get("/campaigns/templates")
def templates_page(request: Request, session: DbSession, actor: PageActor) -> Response:
    """The task templates: one task per role with deadlines, evidence, points and the matters offered first."""
    templates, matter_names = templates_service.list_templates_named(session)
    return renderer(request).render(
        request,
        "campaigns/templates.html",
        {"actor": actor, "templates": templates, "matter_names": matter_names, "role_name": role_name},
    )


@router.get("/campaigns/{campaign_id}")
def campaign_page(request: Request, campaign_id: IdPath, session: DbSession, actor: PageActor) -> Response:
    """One campaign: its counts, and for a cascade every level's step with the forward form where it is mine."""
    return _campaign_page(request, session, actor, campaign_id)


def _campaign_page(
    request: Request, session: Session, actor: Actor, campaign_id: int, *, refused: str | None = None, kept: str = ""
) -> Response:
    """The campaign's page; `refused` is the message key of a form it could not take (shown at its top, 409).

    `kept` is what was typed into that form, shown beneath the message to be copied: the form is gone.
    """
    campaign = queries.read_campaign(session, actor, campaign_id)
    steps = queries.forwards(session, actor, campaign_id)
    return renderer(request).render(
        request,
        "campaigns/detail.html",
        {
            "actor": actor,
            "campaign": campaign,
            "steps": steps,
            "managed": cascade.own_levels(actor),
            # the field staff and the levels it was sent or forwarded to only read it (and forward it)
            "may_close": closing.may_close(actor, campaign.owner_division, campaign.created_by),
            "refused": refused,
            "kept": kept,
        },
        status_code=409 if refused else 200,
    )


@router.post("/campaigns/{campaign_id}/forwards/{division}")
async def forward_from_form(
    request: Request,
    campaign_id: IdPath,
    division: Annotated[str, Path(pattern=DIVISION_PATTERN)],
    session: DbSession,
    actor: PageActor,
    clock: ClockDep,
) -> Response:
    """Forward the campaign from one of my divisions with this level's instructions."""
    form = await request.form()
    data = ForwardCreate(instructions=str(form.get("instructions") or "")[:MAX_MESSAGE])
    try:
        await run_in_threadpool(
            cascade.forward_campaign,
            session,
            campaign_id=campaign_id,
            division_code=division,
            data=data,
            actor=actor,
            clock=clock,
        )
    except ConflictError:  # forwarded by a colleague meanwhile, or the campaign closed: the page as it stands
        return await _refused(request, session, actor, campaign_id, "campaigns.forward_conflict", data.instructions)
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


@router.post("/campaigns/{campaign_id}/close")
async def close_from_form(
    request: Request, campaign_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """Close the campaign from its page; closed meanwhile by someone else, the page says so (409)."""
    await request.form()
    try:
        await run_in_threadpool(closing.close_campaign, session, campaign_id=campaign_id, actor=actor, clock=clock)
    except ConflictError:
        return await _refused(request, session, actor, campaign_id, "campaigns.close_conflict")
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


async def _refused(
    request: Request, session: Session, actor: Actor, campaign_id: int, message: str, kept: str = ""
) -> Response:
    """A form of the campaign's page that someone else's change refused: nothing written, the page as it stands."""

    def shown() -> Response:
        session.rollback()
        return _campaign_page(request, session, actor, campaign_id, refused=message, kept=kept)

    return await run_in_threadpool(shown)
