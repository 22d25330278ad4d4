"""Who is asking: the Actor from a session cookie or a bearer token, and the CSRF check."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from zhili.access import service
from zhili.core.credentials import same_secret
from zhili.core.errors import ForbiddenError, NotAuthenticatedError
from zhili.core.http import ClockDep, DbSession
from zhili.org.actor import Actor

SESSION_COOKIE = "zhili_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LoginRequiredError(NotAuthenticatedError):
    """A page needs a login; the page layer answers with a redirect to /login."""


async def _check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if sent is None or not same_secret(sent, expected):
        message = "missing or wrong CSRF token; reload the page and try again"
        raise ForbiddenError(message)


async def current_actor(request: Request, session: DbSession, clock: ClockDep) -> Actor:
    """The Actor behind a bearer token or a session cookie; cookie writes must carry the CSRF token."""
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        account = service.token_account(session, token=authorization[7:].strip(), clock=clock)
        return service.actor_for(session, account)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        message = "log in or send an API token (Authorization: Bearer ...)"
        raise NotAuthenticatedError(message)
    account, login = service.session_account(session, cookie_token=cookie, clock=clock)
    if request.method in UNSAFE_METHODS:
        await _check_csrf(request, login.csrf_token)
    request.state.csrf_token = login.csrf_token
    return service.actor_for(session, account)


async def page_actor(request: Request, session: DbSession, clock: ClockDep) -> Actor:
    """Like `current_actor`, but a missing login sends the browser to the login page."""
    try:
        return await current_actor(request, session, clock)
    except NotAuthenticatedError as exc:
        raise LoginRequiredError(exc.detail) from exc


CurrentActor = Annotated[Actor, Depends(current_actor)]
PageActor = Annotated[Actor, Depends(page_actor)]
