"""Access use cases: create accounts, log in and out, issue and check tokens, build the Actor."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhili.access.models import Account, ApiToken, LoginFailure, LoginSession
from zhili.core import audit
from zhili.core.auth import Actor, Grant, Scope
from zhili.core.clock import Clock
from zhili.core.credentials import digest_token, hash_password, new_token, password_needs_rehash, verify_password
from zhili.core.db import commit
from zhili.core.errors import (
    ConflictError,
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
    TooManyRequestsError,
)
from zhili.org.models import Department, Person, Position
from zhili.org.roles import MANAGING_ROLES, Role

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
MIN_PASSWORD_LENGTH = 8
WRONG_CREDENTIALS = "wrong username or password"
MAX_FAILURES = 10
FAILURE_WINDOW = timedelta(minutes=15)


@cache
def _dummy_hash() -> str:
    """Compared against when the username is unknown, so both paths cost one argon2 verification.

    Made at a server's startup (`prepare_unknown_login_check`) or at the first unknown username, not at
    import: an argon2 hash costs a tenth of a CPU-second, which every `zhili` process (a worker, a
    command) would pay without ever checking a password.
    """
    return hash_password("not-a-real-password")


def prepare_unknown_login_check() -> None:
    """Make the dummy hash now (a server's startup), so that the first unknown username costs what any login costs.

    Made on first use instead, the first unknown username of a process would take a hash and a
    check, twice a known one's time: a hint, once per process, that the username does not exist.
    """
    _dummy_hash()


@dataclass(frozen=True)
class OpenedSession:
    """A new login session: the cookie value (shown once) and its CSRF token."""

    cookie_token: str
    csrf_token: str
    account_id: int


def _as_actor(account: Account, role: str) -> Actor:
    """An account acting on itself (logging in, managing its tokens), as the audit record names it."""
    return Actor(
        username=account.username,
        display_name=account.username,
        roles=frozenset({role}),
        scope=Scope(),
        account_id=account.id,
    )


def create_account(
    session: Session,
    *,
    username: str,
    password: str,
    person_id: int | None,
    is_admin: bool,
    actor: Actor,
    clock: Clock,
    hashed: str | None = None,
) -> Account:
    """Create a login for a person (or an administrator); the password is stored as argon2.

    `hashed` is `password`'s hash made already, for many accounts given one password at once (the
    demo's logins): each hash costs a tenth of a CPU-second. The caller is trusted that it is: checking
    would cost what the hash saves.
    """
    if not USERNAME_PATTERN.match(username):
        message = "username must be 2-60 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit"
        raise InvalidInputError(message)
    if len(password) < MIN_PASSWORD_LENGTH:
        message = f"password must have at least {MIN_PASSWORD_LENGTH} characters"
        raise InvalidInputError(message)
    if person_id is not None and session.get(Person, person_id) is None:
        message = f"unknown person id {person_id}"
        raise InvalidInputError(message)
    account = Account(
        username=username,
        password_hash=hashed if hashed is not None else hash_password(password),
        person_id=person_id,
        is_admin=is_admin,
        is_active=True,
        created_at=clock.now(),
    )
    session.add(account)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        message = f"username {username!r} is taken"
        raise ConflictError(message) from exc
    audit.record_by(
        session,
        actor,
        "access.account.created",
        entity_type="account",
        entity_id=account.id,
        after={"username": username, "person_id": person_id, "is_admin": is_admin},
        at=clock.now(),
    )
    commit(session)
    return account


def authenticate(session: Session, *, username: str, password: str, client: str, clock: Clock) -> Account:
    """The account for these credentials, or NotAuthenticatedError (same message either way).

    After MAX_FAILURES failed attempts for a username from one client within FAILURE_WINDOW,
    further attempts from that client are refused with 429 until the window has passed. The slow
    password check runs outside any transaction, so it never holds the SQLite write lock.
    """
    now = clock.now()
    if not USERNAME_PATTERN.match(username):
        raise NotAuthenticatedError(WRONG_CREDENTIALS)
    recent = session.scalar(
        select(func.count()).where(
            LoginFailure.username == username, LoginFailure.client == client, LoginFailure.at > now - FAILURE_WINDOW
        )
    )
    if (recent or 0) >= MAX_FAILURES:
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        raise TooManyRequestsError(f"too many failed logins for this username; try again in {minutes} minutes")
    account = session.scalars(select(Account).where(Account.username == username)).first()
    stored = account.password_hash if account is not None else _dummy_hash()
    is_active = account is not None and account.is_active
    # End the read before the slow check (rollback expires `account`; it reloads when next used).
    session.rollback()
    if not verify_password(stored, password) or account is None or not is_active:
        session.execute(delete(LoginFailure).where(LoginFailure.at <= now - FAILURE_WINDOW))
        session.add(LoginFailure(username=username, client=client[:64], at=now))
        commit(session)
        raise NotAuthenticatedError(WRONG_CREDENTIALS)
    if password_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
        commit(session)
    return account


def open_session(session: Session, *, account: Account, max_age: int, secret: str, clock: Clock) -> OpenedSession:
    """Start a browser session; only the token's digest is stored."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        LoginSession(
            token_digest=digest_token(token, secret=secret),
            account_id=account.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(seconds=max_age),
        )
    )
    audit.record_by(
        session,
        _as_actor(account, "login"),
        "access.session.opened",
        entity_type="account",
        entity_id=account.id,
        at=now,
    )
    commit(session)
    return OpenedSession(token, csrf, account.id)


def close_session(session: Session, *, cookie_token: str, secret: str) -> None:
    """Log out: forget the session."""
    session.execute(delete(LoginSession).where(LoginSession.token_digest == digest_token(cookie_token, secret=secret)))
    commit(session)


def session_account(session: Session, *, cookie_token: str, secret: str, clock: Clock) -> tuple[Account, LoginSession]:
    """The account and session behind a cookie, if the session is alive."""
    found = session.execute(
        select(Account, LoginSession)
        .join(LoginSession, LoginSession.account_id == Account.id)
        .where(LoginSession.token_digest == digest_token(cookie_token, secret=secret))
    ).first()
    if found is None or found[1].expires_at <= clock.now() or not found[0].is_active:
        message = "the session has ended; log in again"
        raise NotAuthenticatedError(message)
    return found[0], found[1]


def issue_token(
    session: Session, *, account: Account, name: str, days: int, secret: str, clock: Clock
) -> tuple[int, str]:
    """Create an API token for the account: its id and the clear token, returned once, never stored."""
    token, now = new_token(), clock.now()
    expires = now + timedelta(days=days)
    issued = ApiToken(
        account_id=account.id,
        name=name,
        token_digest=digest_token(token, secret=secret),
        created_at=now,
        expires_at=expires,
        revoked_at=None,
    )
    session.add(issued)
    session.flush()
    audit.record_by(
        session,
        _as_actor(account, "token"),
        "access.token.issued",
        entity_type="account",
        entity_id=account.id,
        after={"name": name, "expires_at": expires},
        at=now,
    )
    commit(session)
    return issued.id, token


def token_account(session: Session, *, token: str, secret: str, clock: Clock) -> tuple[Account, ApiToken]:
    """The account a bearer token belongs to, and the token, if the token is valid."""
    found = session.execute(
        select(Account, ApiToken)
        .join(ApiToken, ApiToken.account_id == Account.id)
        .where(ApiToken.token_digest == digest_token(token, secret=secret))
    ).first()
    now = clock.now()
    if (
        found is None
        or found[1].revoked_at is not None
        or not found[0].is_active
        or (found[1].expires_at is not None and found[1].expires_at <= now)
    ):
        message = "the API token is unknown, expired or revoked"
        raise NotAuthenticatedError(message)
    return found[0], found[1]


@dataclass(frozen=True)
class TokenInfo:
    """A token as its owner sees it later: never the secret itself."""

    id: int
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


def list_tokens(session: Session, *, account_id: int) -> list[TokenInfo]:
    """The account's tokens, newest first."""
    rows = session.scalars(select(ApiToken).where(ApiToken.account_id == account_id).order_by(ApiToken.id.desc()))
    return [TokenInfo(t.id, t.name, t.created_at, t.expires_at, t.revoked_at) for t in rows]


def revoke_token(session: Session, *, account: Account, token_id: int, clock: Clock) -> None:
    """Revoke one of the account's own tokens; another account's token is "not found"."""
    token = session.get(ApiToken, token_id)
    if token is None or token.account_id != account.id:
        raise NotFoundError(f"token {token_id} not found")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        audit.record_by(
            session,
            _as_actor(account, "token"),
            "access.token.revoked",
            entity_type="api_token",
            entity_id=token_id,
            at=clock.now(),
        )
    commit(session)


def actor_for(session: Session, account: Account) -> Actor:
    """The Actor of an account: the roles and scope of its person's positions.

    Reading reaches the grants of every post; writing only those of managing posts.
    """
    if account.is_admin:
        everything = Scope.everything()
        return Actor(
            username=account.username,
            display_name=account.username,
            roles=frozenset({Role.ADMIN}),
            scope=everything,
            write_scope=everything,
            person_id=account.person_id,
            account_id=account.id,
        )
    person = session.get(Person, account.person_id) if account.person_id is not None else None
    rows = (
        session.execute(
            select(
                Position.role,
                Position.division_code,
                Position.department_id,
                Department.division_code,
                Department.kind_code,
            )
            .outerjoin(Department, Department.id == Position.department_id)
            .where(Position.person_id == account.person_id)
        ).all()
        if person is not None
        else []
    )
    grants = [(role, Grant(dept_division or division, dept_id)) for role, division, dept_id, dept_division, _ in rows]
    roles = frozenset(role for role, _grant in grants)
    if Role.ADMIN in roles:
        scope = write_scope = Scope.everything()
    else:
        scope = Scope.of(grant for _role, grant in grants)
        write_scope = Scope.of(grant for role, grant in grants if role in MANAGING_ROLES)
    return Actor(
        username=account.username,
        display_name=person.name if person else account.username,
        roles=roles,
        scope=scope,
        write_scope=write_scope,
        person_id=account.person_id,
        account_id=account.id,
        units=frozenset(grant.department_id for _role, grant in grants if grant.department_id is not None),
        unit_kinds=frozenset(kind for *_, kind in rows if kind is not None),
        blocks_held=frozenset(
            grant.division_prefix
            for role, grant in grants
            if role in MANAGING_ROLES and role != Role.ADMIN and grant.department_id is None
        ),
    )
