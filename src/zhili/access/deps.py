"""Who is asking: the Actor from a session cookie or a bearer token, and the CSRF check.

`resolve_actor` is installed by `create_app` as the application's ActorResolver.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from zhili.access import service
from zhili.access.actor_cache import ActorCache, Resolved
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.credentials import digest_token, same_secret
from zhili.core.db import session_scope
from zhili.core.errors import DomainError, ForbiddenError, NotAuthenticatedError
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


def actor_cache(request: Request) -> ActorCache:
    """The application's cache of resolved credentials (built by `create_app`)."""
    cache: ActorCache = request.app.state.actor_cache
    return cache


def _authenticate(
    sessions: sessionmaker[Session], clock: Clock, *, bearer: str | None, cookie: str, secret: str
) -> Resolved:
    """Who the token or cookie belongs to (blocking database work, on a read-only session).

    A read-only session never takes SQLite's write lock, so resolving callers runs beside writers.
    """
    with session_scope(sessions) as session:
        if bearer is not None:
            account, token = service.token_account(session, token=bearer, secret=secret, clock=clock)
            return Resolved(service.actor_for(session, account), None, token.expires_at)
        account, login = service.session_account(session, cookie_token=cookie, secret=secret, clock=clock)
        return Resolved(service.actor_for(session, account), login.csrf_token, login.expires_at)


async def actor_or_none(request: Request) -> Actor | None:
    """The logged-in person of a request, or None (no credential, an expired one): for an error page's menu."""
    if not request.cookies.get(SESSION_COOKIE) and "authorization" not in request.headers:
        return None
    try:
        return await resolve_actor(request, services(request).clock)
    except DomainError:
        return None


async def resolve_actor(request: Request, clock: Clock) -> Actor:
    """The Actor behind a bearer token or a session cookie; cookie writes must carry the CSRF token.

    Whatever the client sends is read first. A credential resolved in the last few seconds is
    answered from `actor_cache` (see its staleness bound); otherwise the lookup runs in the thread
    pool on a read-only session, so no lock is held while a slow client sends its body, and a query
    never stalls the event loop.
    """
    authorization = request.headers.get("authorization", "")
    bearer = authorization[7:].strip() if authorization.lower().startswith("bearer ") else None
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if bearer is None and not cookie:
        message = "log in or send an API token (Authorization: Bearer ...)"
        raise NotAuthenticatedError(message)
    unsafe = request.method in UNSAFE_METHODS and bearer is None
    sent = await _sent_csrf(request) if unsafe else None
    found = services(request)
    secret = found.settings.secret_key.get_secret_value()
    kind, credential = ("token", bearer) if bearer is not None else ("session", cookie)
    key = f"{kind}:{digest_token(credential, secret=secret)}"
    cache = actor_cache(request)
    resolved = cache.get(key, clock.now())
    if resolved is None:
        resolved = await run_in_threadpool(
            _authenticate, found.read_sessions, clock, bearer=bearer, cookie=cookie, secret=secret
        )
        cache.put(key, resolved)
    request.state.auth_method = kind
    if resolved.csrf_token is not None:
        if unsafe and (sent is None or not same_secret(sent, resolved.csrf_token)):
            raise ForbiddenError(
                "missing or wrong CSRF token; reload the page and try again", message_key="forbidden.csrf"
            )
        request.state.csrf_token = resolved.csrf_token
    # An error page for this request keeps the user's menu (web.errors reads it).
    request.state.actor = resolved.actor
    return resolved.actor
