"""The Actor: who is acting, in which roles, within which scope; every service takes one."""

from __future__ import annotations

from dataclasses import dataclass

from zhili.core.errors import ForbiddenError
from zhili.org.roles import MANAGING_ROLES, Role
from zhili.org.scope import Scope


@dataclass(frozen=True)
class Actor:
    """A logged-in person (or the system) with the union of their positions' roles and scope."""

    username: str
    display_name: str
    roles: frozenset[str]
    scope: Scope
    person_id: int | None = None
    account_id: int | None = None

    @property
    def audit_name(self) -> str:
        """How the audit record names this actor."""
        return f"account:{self.account_id}:{self.username}" if self.account_id else self.username

    @property
    def audit_role(self) -> str:
        """The roles in force, as one sorted string for the audit record."""
        return ",".join(sorted(self.roles)) or "none"

    @property
    def is_admin(self) -> bool:
        """True for administrators."""
        return Role.ADMIN in self.roles

    def has_any_role(self, roles: frozenset[Role]) -> bool:
        """True when the actor holds at least one of `roles`."""
        return bool(self.roles & roles)

    def require_manager(self) -> None:
        """Refuse unless the actor may manage the organisation inside their scope."""
        if not self.has_any_role(MANAGING_ROLES):
            message = "only administrators, the governance centre, township command rooms and department heads may change the organisation"
            raise ForbiddenError(message)


def system_actor(name: str = "system") -> Actor:
    """The actor for work done by the system itself (imports, the demo generator, the worker)."""
    return Actor(username=name, display_name=name, roles=frozenset({Role.ADMIN}), scope=Scope.everything())
