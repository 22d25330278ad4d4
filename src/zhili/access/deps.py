"""Who is asking: the Actor from a session cookie or a bearer token, and the CSRF check.

`resolve_actor` is installed by `create_app` as the application's ActorResolver.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from zhili.access import service
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.credentials import same_secret
from zhili.core.errors import ForbiddenError, NotAuthenticatedError

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


async def resolve_actor(request: Request, session: Session, clock: Clock) -> Actor:
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
