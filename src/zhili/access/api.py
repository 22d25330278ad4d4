"""Access API: who am I, and API tokens for programs."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from zhili.access import service
from zhili.access.models import Account
from zhili.core.auth import CurrentActor
from zhili.core.errors import NotAuthenticatedError
from zhili.core.http import ClockDep, DbSession

router = APIRouter(prefix="/api/v1", tags=["access"])


class MeRead(BaseModel):
    """The caller: roles and the roots of their scope."""

    username: str
    display_name: str
    person_id: int | None
    roles: list[str]
    scope: list[str] = Field(description='division-code prefixes reachable; [""] means everything')


class TokenCreate(BaseModel):
    """A name for the token and how long it lives."""

    name: str = Field(min_length=1, max_length=80)
    days: int | None = Field(default=90, ge=1, le=3650)


class TokenRead(BaseModel):
    """The new token, shown once."""

    name: str
    token: str


@router.get("/me")
def me(actor: CurrentActor) -> MeRead:
    """Who the caller is and where they may see."""
    return MeRead(
        username=actor.username,
        display_name=actor.display_name,
        person_id=actor.person_id,
        roles=sorted(actor.roles),
        scope=list(actor.scope.division_prefixes),
    )


@router.post("/tokens", status_code=201)
def create_token(body: TokenCreate, session: DbSession, actor: CurrentActor, clock: ClockDep) -> TokenRead:
    """Issue an API token for yourself; keep it: it is not shown again."""
    account = session.get(Account, actor.account_id) if actor.account_id else None
    if account is None:
        raise NotAuthenticatedError("only a logged-in account can hold tokens")
    token = service.issue_token(session, account=account, name=body.name, days=body.days, clock=clock)
    return TokenRead(name=body.name, token=token)
