"""Access API: who am I, and API tokens for programs."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from zhili.access import service
from zhili.access.deps import actor_cache
from zhili.access.models import Account
from zhili.core.auth import CurrentActor
from zhili.core.errors import ForbiddenError, NotAuthenticatedError
from zhili.core.http import ClockDep, DbSession, SettingsDep
from zhili.core.params import IdPath, Name

router = APIRouter(prefix="/api/v1", tags=["access"])


class MeRead(BaseModel):
    """The caller: roles and the roots of their scope."""

    username: str
    display_name: str
    person_id: int | None
    roles: list[str]
    scope: list[str] = Field(description='division-code prefixes reachable; [""] means everything')
    manages: list[str] = Field(description="division-code prefixes where you may change the organisation")


class TokenCreate(BaseModel):
    """A name for the token and how many days it lives (at most a year)."""

    name: Name = Field(max_length=80)
    days: int = Field(default=90, ge=1, le=365)


class TokenRead(BaseModel):
    """The new token, shown once."""

    id: int
    name: str
    token: str


class TokenInfoRead(BaseModel):
    """A token as listed later: never the secret."""

    id: int
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


@router.get("/me")
def me(actor: CurrentActor) -> MeRead:
    """Who the caller is and where they may see."""
    return MeRead(
        username=actor.username,
        display_name=actor.display_name,
        person_id=actor.person_id,
        roles=sorted(actor.roles),
        scope=list(actor.scope.division_prefixes),
        manages=list(actor.write_scope.division_prefixes),
    )


def _own_account(session: DbSession, actor: CurrentActor) -> Account:
    account = session.get(Account, actor.account_id) if actor.account_id else None
    if account is None:
        raise NotAuthenticatedError("only a logged-in account can hold tokens")
    return account


@router.post("/tokens", status_code=201)
def create_token(
    body: TokenCreate,
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    settings: SettingsDep,
) -> TokenRead:
    """Issue an API token for yourself from a logged-in browser session; it is shown only now.

    No Idempotency-Key here on purpose: replaying the response would mean storing the clear token.
    """
    if getattr(request.state, "auth_method", None) != "session":
        raise ForbiddenError("tokens are issued from a logged-in session, not by another token")
    account = _own_account(session, actor)
    token_id, token = service.issue_token(
        session,
        account=account,
        name=body.name,
        days=body.days,
        secret=settings.secret_key.get_secret_value(),
        clock=clock,
    )
    return TokenRead(id=token_id, name=body.name, token=token)


@router.get("/tokens")
def list_tokens(session: DbSession, actor: CurrentActor) -> list[TokenInfoRead]:
    """Your tokens (names and dates only)."""
    account = _own_account(session, actor)
    return [TokenInfoRead(**vars(info)) for info in service.list_tokens(session, account_id=account.id)]


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: IdPath, request: Request, session: DbSession, actor: CurrentActor, clock: ClockDep) -> None:
    """Revoke one of your tokens at once (other server processes stop honouring it within seconds)."""
    service.revoke_token(session, account=_own_account(session, actor), token_id=token_id, clock=clock)
    actor_cache(request).forget_account(actor.account_id)
