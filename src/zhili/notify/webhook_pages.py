"""Webhook endpoints from the pages (administrators): add one, change it, switch it off, remove it.

A DingTalk robot or any HTTPS receiver gets the notifications of the topics ticked (none ticked:
every topic) from the severity chosen up. The secret goes in and never comes out: the form shows only
whether there is one, and leaves it as it is unless a new one is typed or 清除 is ticked. A refused
form comes back with what was typed (the secret excepted) and each reason by its field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from zhili.core.auth import Actor, PageActor
from zhili.core.errors import ConflictError
from zhili.core.http import ClockDep, DbSession
from zhili.core.params import IdPath
from zhili.notify import webhooks
from zhili.notify.kinds import SEVERITY_ORDER, WebhookFormat
from zhili.notify.schemas import WebhookCreate, WebhookUpdate
from zhili.web.form_errors import FormErrors, form_errors
from zhili.web.form_once import FormOnce, run_form
from zhili.web.i18n import translate
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)

# The topic families an endpoint may follow, by their prefix (a topic is `<family>.<event>`).
TOPIC_FAMILIES = ("case.", "campaign.", "command_group.", "assessment.", "calendar.", "manual")
INPUTS = {name: name for name in ("name", "url", "format", "secret", "topics", "min_severity")}
CHOICES = frozenset({"format", "topics", "min_severity"})  # chosen, not typed: 请选择 when none is


@router.get("/admin/webhooks")
def webhooks_page(request: Request, session: DbSession, actor: PageActor) -> Response:
    """Every endpoint, and the form that adds one."""
    return _list_page(request, session, actor, typed={}, errors=FormErrors(), status_code=200)


@router.post("/admin/webhooks")
async def add_webhook(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Add an endpoint from the form (sent twice, it is added once)."""
    form = await request.form()
    actor.require_admin("add webhook endpoints")
    once = FormOnce.of(form, "/admin/webhooks")
    try:
        data = WebhookCreate.model_validate(_fields(form))

        def add() -> int:
            return webhooks.create_webhook(session, actor=actor, data=data, clock=clock).id

        await run_in_threadpool(run_form, once, session, owner=actor.audit_name, now=clock.now(), action=add)
    except (ValidationError, ConflictError) as refused:
        session.rollback()
        return await run_in_threadpool(
            _list_page, request, session, actor, typed=_typed(form), errors=_errors(request, refused), status_code=422
        )
    return RedirectResponse("/admin/webhooks?saved=1", status_code=303)


@router.get("/admin/webhooks/{endpoint_id}")
def webhook_page(request: Request, endpoint_id: IdPath, session: DbSession, actor: PageActor) -> Response:
    """One endpoint's form, filled in as it stands."""
    return _edit_page(request, session, actor, endpoint_id, typed=None, errors=FormErrors(), status_code=200)


@router.post("/admin/webhooks/{endpoint_id}")
async def change_webhook(
    request: Request, endpoint_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """Save the endpoint's form; the secret stays unless a new one is typed or 清除 is ticked."""
    form = await request.form()
    try:
        data = WebhookUpdate.model_validate({**_fields(form), "clear_secret": "clear_secret" in form})
        await run_in_threadpool(
            webhooks.update_webhook, session, endpoint_id=endpoint_id, actor=actor, data=data, clock=clock
        )
    except (ValidationError, ConflictError) as refused:
        session.rollback()
        return await run_in_threadpool(
            _edit_page,
            request,
            session,
            actor,
            endpoint_id,
            typed=_typed(form),
            errors=_errors(request, refused),
            status_code=422,
        )
    return RedirectResponse(f"/admin/webhooks/{endpoint_id}?saved=1", status_code=303)


@router.post("/admin/webhooks/{endpoint_id}/delete")
async def remove_webhook(endpoint_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Remove the endpoint; its messages still waiting are given up."""
    await run_in_threadpool(webhooks.delete_webhook, session, endpoint_id=endpoint_id, actor=actor, clock=clock)
    return RedirectResponse("/admin/webhooks?removed=1", status_code=303)


def _fields(form: FormData) -> dict[str, Any]:
    """The schema's fields from the form: the topics ticked joined, "on" for the switch.

    An empty secret is left out (none, or unchanged), and so is an empty URL: on the form that
    changes an endpoint, the stored URL (which may hold a robot's token) is typed again only to change it.
    """
    text = {name: str(form.get(name) or "").strip() for name in ("name", "url", "format", "min_severity")}
    ticked = [value for value in form.getlist("topics") if isinstance(value, str) and value in TOPIC_FAMILIES]
    given = {name: value for name, value in text.items() if value or name != "url"}
    secret = str(form.get("secret") or "").strip()
    return {
        **given,
        "topics": ",".join(ticked),
        "is_enabled": form.get("is_enabled") == "on",
        **({"secret": secret} if secret else {}),
    }


def _typed(form: FormData) -> dict[str, Any]:
    """What was typed, to show it again (never the secret)."""
    return {
        **{name: str(form.get(name) or "") for name in ("name", "url", "format", "min_severity")},
        "topics": [value for value in form.getlist("topics") if isinstance(value, str)],
        "is_enabled": form.get("is_enabled") == "on",
    }


def _errors(request: Request, refused: ValidationError | ConflictError) -> FormErrors:
    language = renderer(request).language(request)
    if isinstance(refused, ConflictError):  # the one conflict: a name in use
        found = FormErrors()
        found.add("name", translate("notify.webhook_name_taken", language))
        return found
    return form_errors(refused, language, INPUTS, choices=CHOICES)


def _choices() -> dict[str, Any]:
    return {
        "families": TOPIC_FAMILIES,
        "formats": [f.value for f in WebhookFormat],
        "severities": [s.value for s in SEVERITY_ORDER],
    }


def _list_page(
    request: Request, session: Session, actor: Actor, *, typed: dict[str, Any], errors: FormErrors, status_code: int
) -> Response:
    context = {
        "actor": actor,
        "endpoints": webhooks.list_webhooks(session, actor),
        "typed": typed,
        "errors": errors,
        "saved": request.query_params.get("saved") == "1",
        "removed": request.query_params.get("removed") == "1",
        **_choices(),
    }
    return renderer(request).render(request, "notify/webhooks.html", context, status_code=status_code)


def _edit_page(
    request: Request,
    session: Session,
    actor: Actor,
    endpoint_id: int,
    *,
    typed: dict[str, Any] | None,
    errors: FormErrors,
    status_code: int,
) -> Response:
    endpoint = webhooks.to_read(webhooks.get_webhook(session, actor, endpoint_id))
    shown = typed or {
        "name": endpoint.name,
        "url": "",  # the stored URL may hold a robot's token: typed again only to change it
        "format": endpoint.format.value,
        "min_severity": endpoint.min_severity.value,
        "topics": [t.strip() for t in endpoint.topics.split(",") if t.strip()],
        "is_enabled": endpoint.is_enabled,
    }
    context = {
        "actor": actor,
        "endpoint": endpoint,
        "typed": shown,
        "errors": errors,
        "saved": request.query_params.get("saved") == "1",
        **_choices(),
    }
    return renderer(request).render(request, "notify/webhook.html", context, status_code=status_code)
