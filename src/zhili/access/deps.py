"""Who is asking: the Actor from a session cookie or a bearer token, and the CSRF check.

`resolve_actor` is installed by `create_app` as the application's ActorResolver.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhili.access import service
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.credentials import same_secret
from zhili.core.errors import ForbiddenError, NotAuthenticatedError
from zhili.core.http import services

SESSION_COOKIE = "zhili_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def _check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if sent is None or not same_secret(sent, expected):
        message = "missing or wrong CSRF token; reload the page and try again"
        raise ForbiddenError(message)


def _authenticate(
    session: Session, clock: Clock, *, bearer: str | None, cookie: str | None, secret: str
) -> tuple[Actor, str | None]:
    """The actor and, for a cookie session, its CSRF token (blocking database work)."""
    if bearer is not None:
        account = service.token_account(session, token=bearer, secret=secret, clock=clock)
        return service.actor_for(session, account), None
    if not cookie:
        message = "log in or send an API token (Authorization: Bearer ...)"
        raise NotAuthenticatedError(message)
    account, login = service.session_account(session, cookie_token=cookie, secret=secret, clock=clock)
    return service.actor_for(session, account), login.csrf_token


async def resolve_actor(request: Request, session: Session, clock: Clock) -> Actor:
    """The Actor behind a bearer token or a session cookie; cookie writes must carry the CSRF token.

    The database work runs in the thread pool: a query waiting on a lock must never stall the
    event loop that other requests (and the lock holder's response) need.
    """
    authorization = request.headers.get("authorization", "")
    bearer = authorization[7:].strip() if authorization.lower().startswith("bearer ") else None
    actor, csrf = await run_in_threadpool(
        _authenticate,
        session,
        clock,
        bearer=bearer,
        cookie=request.cookies.get(SESSION_COOKIE),
        secret=services(request).settings.secret_key,
    )
    request.state.auth_method = "token" if bearer is not None else "session"
    if csrf is not None:
        if request.method in UNSAFE_METHODS:
            await _check_csrf(request, csrf)
        request.state.csrf_token = csrf
    return actor
