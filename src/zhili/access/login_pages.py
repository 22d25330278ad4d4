"""Logins from the pages: a person's login (`/org/people/{id}/login`, their managers) and one's own password.

A manager opens a person's page, follows 登录账号 and there gives the person a login (a username and a
first password to hand over in person), sets a new password on it, or switches it off and on. Every
user changes their own password at `/account/password` (the link beside their name). A refused form
comes back with what was typed, passwords excepted, and the reason by its field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from zhili.access import logins
from zhili.access.deps import SESSION_COOKIE, actor_cache
from zhili.core.auth import Actor, PageActor
from zhili.core.credentials import digest_token
from zhili.core.errors import ConflictError, TooManyRequestsError
from zhili.core.http import ClockDep, DbSession, SettingsDep
from zhili.core.params import IdPath
from zhili.org.queries import get_person
from zhili.web.form_errors import FormErrors
from zhili.web.form_once import FormOnce, run_form
from zhili.web.i18n import translate
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)
MAX_TYPED = 200  # a password or a username longer than this is refused, not read


@router.get("/org/people/{person_id}/login")
def login_page(request: Request, person_id: IdPath, session: DbSession, actor: PageActor) -> Response:
    """The person's login as their manager sees it, with what can be done to it."""
    logins.require_person_manager(session, actor, person_id)
    return _person_page(request, session, actor, person_id, typed={}, errors=FormErrors(), status_code=200)


@router.post("/org/people/{person_id}/login")
async def give_login(
    request: Request, person_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """Give the person a login (sent twice, it is given once)."""
    form = await request.form()
    username = _text(form.get("username")).lower()
    password = _text(form.get("password"))
    once = FormOnce.of(form, f"/org/people/{person_id}/login")

    def give() -> int:
        return logins.give_login(
            session, person_id=person_id, username=username, password=password, actor=actor, clock=clock
        ).id

    try:
        await run_in_threadpool(run_form, once, session, owner=actor.audit_name, now=clock.now(), action=give)
    except (logins.LoginRefusedError, ConflictError) as refused:
        session.rollback()
        errors = _errors(request, refused)
        return await run_in_threadpool(
            _person_page,
            request,
            session,
            actor,
            person_id,
            typed={"username": username},
            errors=errors,
            status_code=422,
        )
    return RedirectResponse(f"/org/people/{person_id}/login?done=given", status_code=303)


@router.post("/org/people/{person_id}/login/{account_id}/password")
async def set_password(
    request: Request, person_id: IdPath, account_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """Set a new password on the person's login; their browser sessions end."""
    form = await request.form()
    password = _text(form.get("new_password"))
    try:
        await run_in_threadpool(
            logins.set_password,
            session,
            person_id=person_id,
            account_id=account_id,
            password=password,
            actor=actor,
            clock=clock,
        )
    except logins.LoginRefusedError as refused:
        session.rollback()
        errors = FormErrors()
        errors.add("new_password", _reason(request, refused.reason))
        return await run_in_threadpool(
            _person_page, request, session, actor, person_id, typed={}, errors=errors, status_code=422
        )
    actor_cache(request).forget_account(account_id)
    return RedirectResponse(f"/org/people/{person_id}/login?done=password", status_code=303)


@router.post("/org/people/{person_id}/login/{account_id}/active")
async def set_active(
    request: Request, person_id: IdPath, account_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """Switch the login off (`active` not sent) or on again."""
    form = await request.form()
    active = form.get("active") == "1"
    try:
        await run_in_threadpool(
            logins.set_active,
            session,
            person_id=person_id,
            account_id=account_id,
            active=active,
            actor=actor,
            clock=clock,
        )
    except ConflictError as refused:
        session.rollback()
        errors = FormErrors()
        errors.add(None, _reason(request, "own_login") if "own login" in refused.detail else refused.detail)
        return await run_in_threadpool(
            _person_page, request, session, actor, person_id, typed={}, errors=errors, status_code=409
        )
    actor_cache(request).forget_account(account_id)
    return RedirectResponse(f"/org/people/{person_id}/login?done={'on' if active else 'off'}", status_code=303)


@router.get("/account/password")
def password_page(request: Request, actor: PageActor) -> Response:
    """The form that changes one's own password."""
    return _password_page(request, actor, errors=FormErrors(), status_code=200)


@router.post("/account/password")
async def change_password(
    request: Request, session: DbSession, actor: PageActor, clock: ClockDep, settings: SettingsDep
) -> Response:
    """Change one's own password; this browser stays logged in, every other session of the login ends."""
    form = await request.form()
    current, new, again = (_text(form.get(name)) for name in ("current", "new", "again"))
    errors, account_id = FormErrors(), actor.account_id
    if account_id is None:
        errors.add(None, _reason(request, "no_login"))
    elif new != again:
        errors.add("again", _reason(request, "passwords_differ"))
    if errors or account_id is None:
        return _password_page(request, actor, errors=errors, status_code=422)
    cookie = request.cookies.get(SESSION_COOKIE)
    kept = digest_token(cookie, secret=settings.secret_key.get_secret_value()) if cookie else None
    try:
        await run_in_threadpool(
            logins.change_own_password,
            session,
            account_id=account_id,
            current=current,
            new=new,
            keep_session=kept,
            clock=clock,
        )
    except logins.LoginRefusedError as refused:
        session.rollback()
        errors.add(refused.field, _reason(request, refused.reason))
        return _password_page(request, actor, errors=errors, status_code=422)
    except TooManyRequestsError:
        session.rollback()
        errors.add("current", _reason(request, "too_many"))
        return _password_page(request, actor, errors=errors, status_code=429)
    actor_cache(request).forget_account(account_id)
    return RedirectResponse("/account/password?done=1", status_code=303)


def _text(value: object) -> str:
    return value.strip()[:MAX_TYPED] if isinstance(value, str) else ""


def _reason(request: Request, reason: str) -> str:
    return translate(f"access.refused.{reason}", renderer(request).language(request))


def _errors(request: Request, refused: logins.LoginRefusedError | ConflictError) -> FormErrors:
    found = FormErrors()
    if isinstance(refused, logins.LoginRefusedError):
        for field, reason in refused.refusals:  # a username and a password refused together, both said
            found.add(field, _reason(request, reason))
    else:  # the one conflict of the form: the person has a login already (another manager was first)
        found.add(None, _reason(request, "has_login"))
    return found


def _person_page(
    request: Request,
    session: Session,
    actor: Actor,
    person_id: int,
    *,
    typed: dict[str, Any],
    errors: FormErrors,
    status_code: int,
) -> Response:
    context = {
        "actor": actor,
        "person": get_person(session, actor, person_id),
        "logins": logins.logins_of(session, person_id),
        "typed": typed,
        "errors": errors,
        "done": request.query_params.get("done", ""),
    }
    return renderer(request).render(request, "access/person_login.html", context, status_code=status_code)


def _password_page(request: Request, actor: Actor, *, errors: FormErrors, status_code: int) -> Response:
    context = {"actor": actor, "errors": errors, "done": request.query_params.get("done") == "1"}
    return renderer(request).render(request, "access/password.html", context, status_code=status_code)
