"""Who is acting and where they may reach: the Actor, its Scope, and the request dependencies.

A Scope is the union of grants (a division-code prefix, narrowed to one unit when the grant
is a strip). Every scoped query goes through `Scope.where` and every scoped write through
`Scope.require_*`; no other code decides who sees what. How an Actor is found for a request
(sessions, tokens, positions) is plugged in by the application as an `ActorResolver`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import ColumnElement, false, or_, true
from sqlalchemy.orm import InstrumentedAttribute

from zhili.core.clock import Clock
from zhili.core.errors import ForbiddenError, NotAuthenticatedError, NotFoundError
from zhili.core.http import services

ADMIN_ROLE = "admin"


@dataclass(frozen=True)
class Grant:
    """One position's reach: a division subtree, narrowed to one department when it is a strip."""

    division_prefix: str
    department_id: int | None = None

    def reaches_place(self, division_code: str) -> bool:
        """True when the division lies in this grant's block (strips do not narrow places)."""
        return division_code.startswith(self.division_prefix)

    def reaches_unit(self, division_code: str, department_id: int | None) -> bool:
        """True when a row held in this division by this department (None: territorial) is inside."""
        if not self.reaches_place(division_code):
            return False
        return self.department_id is None or department_id == self.department_id


@dataclass(frozen=True)
class Scope:
    """The union of a person's grants; `everything` is the administrator's scope."""

    grants: tuple[Grant, ...] = ()
    is_everything: bool = False

    @classmethod
    def everything(cls) -> Scope:
        """The unrestricted scope (administrators, the system itself)."""
        return cls(is_everything=True)

    @property
    def blocks(self) -> Scope:
        """The territorial part: the grants that hold places whole (a centre's, a command room's), no unit's strip."""
        if self.is_everything:
            return self
        return Scope(grants=tuple(g for g in self.grants if g.department_id is None))

    @classmethod
    def of(cls, grants: Iterable[Grant]) -> Scope:
        """A scope from grants; duplicates and grants inside a wider grant are dropped."""
        unique = sorted(set(grants), key=_grant_order)
        kept = [g for g in unique if not any(_covers(other, g) for other in unique if other != g)]
        return cls(grants=tuple(kept))

    def reaches_place(self, division_code: str) -> bool:
        """True when the scope reaches this division (a place, seen by blocks alone)."""
        return self.is_everything or any(g.reaches_place(division_code) for g in self.grants)

    def reaches_unit(self, division_code: str, department_id: int | None) -> bool:
        """True when the scope reaches a row held in this division by this department or none."""
        return self.is_everything or any(g.reaches_unit(division_code, department_id) for g in self.grants)

    def require_place(self, division_code: str, *, what: str) -> None:
        """Refuse with 404 (not 403), so nothing outside the scope is even confirmed to exist."""
        if not self.reaches_place(division_code):
            raise NotFoundError(f"{what} not found")

    def require_unit(self, division_code: str, department_id: int | None, *, what: str) -> None:
        """Like `require_place`, for rows that belong to a department or to the territory."""
        if not self.reaches_unit(division_code, department_id):
            raise NotFoundError(f"{what} not found")

    def where(
        self,
        division_column: InstrumentedAttribute[str],
        department_column: InstrumentedAttribute[int | None] | InstrumentedAttribute[int] | None = None,
    ) -> ColumnElement[bool]:
        """A SQL condition selecting the rows inside the scope.

        Places (no department column) are reached by blocks alone. Rows with a department
        column are narrowed by strips: a strip grant reaches only its own department's rows.
        """
        if self.is_everything:
            return true()
        if not self.grants:
            return false()
        return or_(*(_grant_clause(g, division_column, department_column) for g in self.grants))

    @property
    def division_prefixes(self) -> tuple[str, ...]:
        """The roots of the blocks this scope reaches ("" for everything)."""
        return ("",) if self.is_everything else tuple(sorted({g.division_prefix for g in self.grants}))


def _grant_order(grant: Grant) -> tuple[str, int]:
    # Blocks (no department) sort before the strips of the same prefix; never compare None with int.
    return grant.division_prefix, -1 if grant.department_id is None else grant.department_id


def _covers(wider: Grant, narrower: Grant) -> bool:
    prefix_ok = narrower.division_prefix.startswith(wider.division_prefix)
    return prefix_ok and (wider.department_id is None or wider.department_id == narrower.department_id)


def _grant_clause(
    grant: Grant,
    division_column: InstrumentedAttribute[str],
    department_column: InstrumentedAttribute[int | None] | InstrumentedAttribute[int] | None,
) -> ColumnElement[bool]:
    # Codes are digits only (checked on import), so the prefix needs no LIKE escaping.
    block = division_column.startswith(grant.division_prefix, autoescape=True)
    if grant.department_id is None or department_column is None:
        return block
    return block & (department_column == grant.department_id)


@dataclass(frozen=True)
class Actor:
    """A logged-in person (or the system) with the union of their positions' roles and scope."""

    username: str
    display_name: str
    roles: frozenset[str]
    scope: Scope
    person_id: int | None = None
    account_id: int | None = None
    # Where the actor may change things: the grants of their managing posts only, so that a
    # managing post in one place gives no write rights through an ordinary post elsewhere.
    write_scope: Scope = Scope()
    # The units (departments) the actor holds posts in, before scopes merge grants: a block post
    # over a unit's place must not hide that the person also works in the unit.
    units: frozenset[int] = frozenset()
    # The kinds of those units (department kind codes: "traffic_police", "hrss" ...).
    unit_kinds: frozenset[str] = frozenset()
    # The divisions of the actor's managing posts that hold a place whole (a centre, a command room), before
    # scopes merge grants: a county centre who also holds a township's command room is that room too.
    # None: those of `write_scope` (an actor built without posts).
    blocks_held: frozenset[str] | None = None

    @property
    def audit_name(self) -> str:
        """How the audit record names this actor."""
        return f"account:{self.account_id}:{self.username}" if self.account_id else self.username

    @property
    def audit_role(self) -> str:
        """The roles in force, as one sorted string for the audit record."""
        return ",".join(sorted(self.roles)) or "none"

    @property
    def block_write_scope(self) -> Scope:
        """The places the actor manages whole (a centre, a command room): the write scope less any unit's strip."""
        return self.write_scope.blocks

    @property
    def is_admin(self) -> bool:
        """True for administrators."""
        return ADMIN_ROLE in self.roles

    def has_any_role(self, roles: Iterable[str]) -> bool:
        """True when the actor holds at least one of `roles`."""
        return not self.roles.isdisjoint(roles)

    def require_admin(self, what: str) -> None:
        """Refuse anyone but an administrator (403): settings of the whole system, not of a place."""
        if not self.is_admin:
            raise ForbiddenError(f"only administrators may {what}", message_key="forbidden.admin_only")


def system_actor(name: str = "system") -> Actor:
    """The actor for work done by the system itself (imports, the demo generator, the worker)."""
    everything = Scope.everything()
    return Actor(
        username=name, display_name=name, roles=frozenset({ADMIN_ROLE}), scope=everything, write_scope=everything
    )


ActorResolver = Callable[[Request, Clock], Awaitable[Actor]]


class LoginRequiredError(NotAuthenticatedError):
    """A page needs a login; the page layer answers with a redirect to /login."""


async def current_actor(request: Request) -> Actor:
    """The Actor of this request, found by the resolver the application installed.

    It takes no other dependency (each costs FastAPI's solving on every request): no session of the
    request's (the resolver reads on a read-only session of its own when its cache does not answer,
    so a handler that opens its session where it writes, `run_in_write_session`, needs none), and
    the application's clock read from its services.
    """
    resolver: ActorResolver = request.app.state.actor_resolver
    return await resolver(request, services(request).clock)


async def page_actor(request: Request) -> Actor:
    """Like `current_actor`, but a missing login sends the browser to the login page."""
    try:
        return await current_actor(request)
    except NotAuthenticatedError as exc:
        raise LoginRequiredError(exc.detail) from exc


CurrentActor = Annotated[Actor, Depends(current_actor)]
PageActor = Annotated[Actor, Depends(page_actor)]
