"""Login and logout (the home page is the workbench, `zhili.workbench.pages`)."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from zhili.access import service
from zhili.access.deps import SESSION_COOKIE, actor_cache
from zhili.core.auth import PageActor
from zhili.core.credentials import same_secret
from zhili.core.errors import ForbiddenError, NotAuthenticatedError
from zhili.core.http import ClockDep, DbSession, SettingsDep
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "zhili_login_csrf"


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return "/"
    return target


def _login_page(
    request: Request, *, error: str | None, next_path: str, status_code: int = 200, username: str = ""
) -> Response:
    """The form; a refused login keeps the username typed (never the password) and asks for the password again."""
    token = secrets.token_urlsafe(32)
    context = {"error": error, "next": next_path, "login_csrf": token, "username": username}
    response = renderer(request).render(request, "access/login.html", context, status_code=status_code)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", max_age=3600)
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the query name
    """The login form."""
    return _login_page(request, error=None, next_path=_safe_next(next))


@router.post("/login")
def login(
    request: Request,
    session: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=60)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100)],
    next: Annotated[str, Form(max_length=500)] = "/",  # noqa: A002
) -> Response:
    """Check the credentials, open a session and set its cookie."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not same_secret(expected, csrf_token):
        raise ForbiddenError(
            "the login form expired; reload the page and try again", message_key="forbidden.login_expired"
        )
    try:
        client = request.client.host if request.client else "unknown"
        account = service.authenticate(
            session, username=username.strip(), password=password, client=client, clock=clock
        )
    except NotAuthenticatedError:
        return _login_page(
            request, error="login.failed", next_path=_safe_next(next), status_code=401, username=username.strip()
        )
    opened = service.open_session(
        session,
        account=account,
        max_age=settings.session_max_age_seconds,
        secret=settings.secret_key.get_secret_value(),
        clock=clock,
    )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        opened.cookie_token,
        httponly=True,
        samesite="lax",
        secure=settings.environment == "production",
        max_age=settings.session_max_age_seconds,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession, settings: SettingsDep, actor: PageActor) -> Response:
    """End the session (the CSRF token was checked with the login)."""
    service.close_session(
        session, cookie_token=request.cookies.get(SESSION_COOKIE, ""), secret=settings.secret_key.get_secret_value()
    )
    actor_cache(request).forget_account(actor.account_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
