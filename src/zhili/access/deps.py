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


async def _sent_csrf(request: Request) -> str | None:
    """The CSRF token the client sent: the header, or the form field of a form post."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return sent


def _authenticate(
    session: Session, clock: Clock, *, bearer: str | None, cookie: str | None, secret: str
) -> tuple[Actor, str | None]:
    """The actor and, for a cookie session, its CSRF token (blocking database work)."""
    if bearer is not None:
        account = service.token_account(session, token=bearer, secret=secret, clock=clock)
        actor = service.actor_for(session, account)
        session.rollback()
        return actor, None
    if not cookie:
        message = "log in or send an API token (Authorization: Bearer ...)"
        raise NotAuthenticatedError(message)
    account, login = service.session_account(session, cookie_token=cookie, secret=secret, clock=clock)
    actor, csrf = service.actor_for(session, account), login.csrf_token
    session.rollback()
    return actor, csrf


async def resolve_actor(request: Request, session: Session, clock: Clock) -> Actor:
    """The Actor behind a bearer token or a session cookie; cookie writes must carry the CSRF token.

    Whatever the client sends is read first; the database work then runs in the thread pool and
    ends its transaction, so no lock is held while a slow client sends its body, and a query
    waiting on a lock never stalls the event loop.
    """
    authorization = request.headers.get("authorization", "")
    bearer = authorization[7:].strip() if authorization.lower().startswith("bearer ") else None
    unsafe = request.method in UNSAFE_METHODS and bearer is None
    sent = await _sent_csrf(request) if unsafe else None
    actor, csrf = await run_in_threadpool(
        _authenticate,
        session,
        clock,
        bearer=bearer,
        cookie=request.cookies.get(SESSION_COOKIE),
        secret=services(request).settings.secret_key.get_secret_value(),
    )
    request.state.auth_method = "token" if bearer is not None else "session"
    if csrf is not None:
        if unsafe and (sent is None or not same_secret(sent, csrf)):
            raise ForbiddenError("missing or wrong CSRF token; reload the page and try again")
        request.state.csrf_token = csrf
    return actor
