"""The Open311 clients' page for administrators (`/admin/open311`): register a client, revoke a key.

A new client's key is on the page that answers the form, once: it is stored only as a digest. The form
sent twice registers once (`web.form_once`); the repeat shows no key (it was shown the first time).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from zhili.core.auth import Actor, PageActor
from zhili.core.errors import ConflictError, InvalidInputError
from zhili.core.http import ClockDep, DbSession, services
from zhili.core.params import IdPath
from zhili.open311 import queries, service
from zhili.web.form_errors import FormErrors
from zhili.web.form_once import FormOnce, run_form
from zhili.web.i18n import translate
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)
PAGE = "/admin/open311"


@router.get(PAGE)
def clients_page(request: Request, session: DbSession, actor: PageActor) -> Response:
    """Every client and its key's state, and the form that registers one."""
    return _page(request, session, actor, typed="", created=None, errors=FormErrors(), status_code=200)


@router.post(PAGE)
async def add_client(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Register a client; the answer shows its key once."""
    form = await request.form()
    actor.require_admin("register Open311 clients")
    name = str(form.get("name") or "").strip()
    once = FormOnce.of(form, PAGE)
    secret = services(request).settings.secret_key.get_secret_value()
    made: list[service.CreatedClient] = []

    def add() -> int:
        created = service.create_client(session, name=name, actor=actor, clock=clock, secret=secret)
        made.append(created)
        return created.id

    try:
        await run_in_threadpool(run_form, once, session, owner=actor.audit_name, now=clock.now(), action=add)
    except (InvalidInputError, ConflictError) as refused:
        session.rollback()
        errors = FormErrors()
        language = renderer(request).language(request)
        kind = "taken" if isinstance(refused, ConflictError) else "name"
        errors.add("name", translate(f"open311.error.{kind}", language))
        return await run_in_threadpool(
            _page, request, session, actor, typed=name, created=None, errors=errors, status_code=422
        )
    if not made:  # the same form again: registered the first time, its key shown then
        return RedirectResponse(f"{PAGE}?repeated=1", status_code=303)
    return await run_in_threadpool(
        _page, request, session, actor, typed="", created=made[0], errors=FormErrors(), status_code=201
    )


@router.post(PAGE + "/{client_id}/revoke")
async def revoke_client(client_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Revoke a client's key: its reports are refused from now on."""
    await run_in_threadpool(service.revoke_client, session, client_id=client_id, actor=actor, clock=clock)
    return RedirectResponse(f"{PAGE}?revoked=1", status_code=303)


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    typed: str,
    created: service.CreatedClient | None,
    errors: FormErrors,
    status_code: int,
) -> Response:
    context = {
        "actor": actor,
        "clients": queries.list_clients(session, actor),
        "typed": typed,
        "created": created,
        "errors": errors,
        "revoked": request.query_params.get("revoked") == "1",
        "repeated": request.query_params.get("repeated") == "1",
        "base_url": services(request).settings.public_url.rstrip("/"),
    }
    return renderer(request).render(request, "open311/clients.html", context, status_code=status_code)
