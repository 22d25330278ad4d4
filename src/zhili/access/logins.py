"""People's logins managed from the pages: give one, set a new password, switch it off or on; one's own password.

Who may manage a person's login is who may change their details: an administrator, or a managing
post (centre, command room, department head) whose part of the organisation holds one of the
person's posts. An administrator's login is managed by administrators only, and nobody switches off
their own. A new password ends every browser session of the login (its owner logs in again with it);
switching a login off also revokes its API tokens. Changing one's own password asks for the current
one, counts wrong guesses as failed logins do, and keeps only the session it was changed from.

A refusal the form can show by its field is a `LoginRefusedError`: its `field` names the input and
`reason` the message (`access.refused.<reason>`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from zhili.access.models import Account, ApiToken, LoginFailure, LoginSession
from zhili.access.service import (
    FAILURE_WINDOW,
    MAX_FAILURES,
    MIN_PASSWORD_LENGTH,
    USERNAME_PATTERN,
    create_account,
)
from zhili.core import audit
from zhili.core.auth import Actor, Scope
from zhili.core.clock import Clock
from zhili.core.credentials import hash_password, verify_password
from zhili.core.db import commit
from zhili.core.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError, TooManyRequestsError
from zhili.org.permissions import manages_any, manages_login, require_manager
from zhili.org.queries import all_posts, get_person

# Wrong current passwords are counted as failed logins of the username from this "client".
PASSWORD_CHANGE_CLIENT = "password-change"  # noqa: S105 - a name, not a secret


class LoginRefusedError(InvalidInputError):
    """A login form refused at one of its inputs: `field` names it, `reason` the message.

    `refusals` holds (field, reason) of every input refused at once, this one first: a new login's
    username and password are both checked before either is reported.
    """

    field: str
    reason: str
    refusals: list[tuple[str, str]]

    def __init__(self, detail: str, *, field: str, reason: str, also: tuple[LoginRefusedError, ...] = ()) -> None:
        errors = [{"field": f"body.{field}", "message": detail}]
        errors += [{"field": f"body.{other.field}", "message": other.detail} for other in also]
        super().__init__("; ".join([detail, *(other.detail for other in also)]), errors=errors)
        self.field = field
        self.reason = reason
        self.refusals = [(field, reason), *((other.field, other.reason) for other in also)]


@dataclass(frozen=True)
class Login:
    """A person's login as their manager sees it: never the password."""

    id: int
    username: str
    is_active: bool
    is_admin: bool
    created_at: datetime
    open_sessions: int


def logins_of(session: Session, person_id: int) -> list[Login]:
    """The person's logins, oldest first, with how many browser sessions each has open."""
    sessions = (
        select(func.count())
        .where(LoginSession.account_id == Account.id)
        .correlate(Account)
        .scalar_subquery()
        .label("open_sessions")
    )
    rows = session.execute(
        select(Account.id, Account.username, Account.is_active, Account.is_admin, Account.created_at, sessions)
        .where(Account.person_id == person_id)
        .order_by(Account.id)
    )
    return [Login(*row) for row in rows]


def manages_person(session: Session, actor: Actor, person_id: int) -> bool:
    """Whether the actor may manage this person (their details, their login); 404 when they cannot see them."""
    posts = get_person(session, actor, person_id).positions
    return manages_any(actor, [(post.division_code, post.department_id) for post in posts])


def require_person_manager(session: Session, actor: Actor, person_id: int) -> None:
    """Refuse unless the actor manages every post of the person (an administrator manages everyone).

    A login opens all its person's posts: a manager of one post alone (a grid) must not set the
    password that opens another they do not manage (a centre's, an administrator's).
    """
    if not actor.is_admin:
        require_manager(actor)
    if not manages_person(session, actor, person_id):
        raise ForbiddenError(
            f"person {person_id} holds no post in the part of the organisation you manage",
            message_key="forbidden.person_outside",
        )
    if not manages_login(actor, all_posts(session, person_id)):
        raise ForbiddenError(
            f"person {person_id} also holds a post you do not manage; ask its manager or an administrator",
            message_key="forbidden.login_other_post",
        )


def give_login(
    session: Session, *, person_id: int, username: str, password: str, actor: Actor, clock: Clock
) -> Account:
    """A first login for a person (not an administrator's); a person with a login gets no second one."""
    require_person_manager(session, actor, person_id)
    refused = [error for error in (_refused_username(username), _refused_password(password)) if error]
    if refused:
        first, *rest = refused
        raise LoginRefusedError(first.detail, field=first.field, reason=first.reason, also=tuple(rest))
    if session.scalar(select(Account.id).where(Account.person_id == person_id)) is not None:
        raise ConflictError(f"person {person_id} has a login already; set a new password on it instead")
    if session.scalar(select(Account.id).where(Account.username == username)) is not None:
        raise LoginRefusedError(f"username {username!r} is taken", field="username", reason="username_taken")
    return create_account(
        session, username=username, password=password, person_id=person_id, is_admin=False, actor=actor, clock=clock
    )


def set_password(
    session: Session, *, person_id: int | None, account_id: int, password: str, actor: Actor, clock: Clock
) -> None:
    """Give a login (of `person_id`, when named) a new password, told its owner in person; its browser sessions end."""
    account = _managed(session, actor, account_id, person_id)
    _check_password(password, field="password")
    account.password_hash = hash_password(password)
    session.execute(delete(LoginSession).where(LoginSession.account_id == account.id))
    audit.record_by(
        session,
        actor,
        "access.password.set",
        entity_type="account",
        entity_id=account.id,
        after={"username": account.username},
        at=clock.now(),
    )
    commit(session)


def set_active(
    session: Session, *, person_id: int | None, account_id: int, active: bool, actor: Actor, clock: Clock
) -> None:
    """Switch a login (of `person_id`, when named) off (its sessions end, its API tokens are revoked) or on again."""
    account = _managed(session, actor, account_id, person_id)
    if not active and account.id == actor.account_id:
        raise ConflictError("you cannot switch off your own login")
    if account.is_active == active:
        return
    before = {"is_active": account.is_active}
    account.is_active = active
    now = clock.now()
    if not active:
        session.execute(delete(LoginSession).where(LoginSession.account_id == account.id))
        session.execute(
            update(ApiToken)
            .where(ApiToken.account_id == account.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    audit.record_by(
        session,
        actor,
        "access.account.activated" if active else "access.account.deactivated",
        entity_type="account",
        entity_id=account.id,
        before=before,
        after={"is_active": active},
        at=now,
    )
    commit(session)


def change_own_password(
    session: Session, *, account_id: int, current: str, new: str, keep_session: str | None, clock: Clock
) -> None:
    """Change one's own password: the current one first; every other browser session of the login ends.

    `keep_session` is the digest of the session's cookie it was changed from (None: end them all).
    """
    account = session.get(Account, account_id)
    if account is None or not account.is_active:
        raise NotFoundError(f"account {account_id} not found")
    now = clock.now()
    recent = session.scalar(
        select(func.count()).where(
            LoginFailure.username == account.username,
            LoginFailure.client == PASSWORD_CHANGE_CLIENT,
            LoginFailure.at > now - FAILURE_WINDOW,
        )
    )
    if (recent or 0) >= MAX_FAILURES:
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        raise TooManyRequestsError(f"too many wrong passwords; try again in {minutes} minutes")
    stored, username = account.password_hash, account.username
    session.rollback()  # the slow check holds no transaction (SQLite's write lock)
    if not verify_password(stored, current):
        session.add(LoginFailure(username=username, client=PASSWORD_CHANGE_CLIENT, at=now))
        commit(session)
        raise LoginRefusedError("the current password is wrong", field="current", reason="current_wrong")
    _check_password(new, field="new")
    if new == current:
        raise LoginRefusedError("the new password is the current one", field="new", reason="same_password")
    account = session.get(Account, account_id)
    assert account is not None  # noqa: S101 - read above, never deleted
    account.password_hash = hash_password(new)
    ended = delete(LoginSession).where(LoginSession.account_id == account_id)
    if keep_session is not None:
        ended = ended.where(LoginSession.token_digest != keep_session)
    session.execute(ended)
    audit.record_by(
        session,
        Actor(username, username, roles=frozenset({"self"}), scope=Scope(), account_id=account_id),
        "access.password.changed",
        entity_type="account",
        entity_id=account_id,
        after={"username": username},
        at=now,
    )
    commit(session)


def _managed(session: Session, actor: Actor, account_id: int, person_id: int | None) -> Account:
    """An account the actor may manage: one of a person they manage; an administrator's only by administrators."""
    account = session.get(Account, account_id)
    if account is None or (person_id is not None and account.person_id != person_id):
        raise NotFoundError(f"account {account_id} not found")
    if account.is_admin or account.person_id is None:
        if not actor.is_admin:
            raise ForbiddenError(
                "only administrators manage an administrator's login", message_key="forbidden.admin_login"
            )
        return account
    require_person_manager(session, actor, account.person_id)
    return account


def _check_username(username: str) -> None:
    if not USERNAME_PATTERN.match(username):
        message = "username must be 2-60 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit"
        raise LoginRefusedError(message, field="username", reason="username_format")


def _refused_username(username: str) -> LoginRefusedError | None:
    try:
        _check_username(username)
    except LoginRefusedError as refused:
        return refused
    return None


def _refused_password(password: str) -> LoginRefusedError | None:
    try:
        _check_password(password, field="password")
    except LoginRefusedError as refused:
        return refused
    return None


def _check_password(password: str, *, field: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        message = f"password must have at least {MIN_PASSWORD_LENGTH} characters"
        raise LoginRefusedError(message, field=field, reason="password_short")
