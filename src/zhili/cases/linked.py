"""Lines other domains add to a case they are linked to: a new early warning, a command group opened or closed.

Early warning opens a 欠薪处置 case through `service.report_case`; when the same firm is warned again
while that case is open, the new warning joins it as a timeline line, and its lead is told (the
`warning_joined` turn of `handoffs.TURNS`). A command group opened from a case adds `group_opened`
(its lead told, unless its people are members already: `lead_informed`) and, when it closes,
`group_closed`; `linked_groups` reads the case's groups back from those lines, so the case page shows
them without importing `command_groups`. Which of them a viewer may open is asked of a `GroupSight`
the composition root (`zhili.app`) hands the page. `add_linked_event` commits unless the caller defers
the commit (`core.db.deferred_commit`) to write the line with its own step.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from zhili.cases import store
from zhili.cases.collaboration import FINISHED
from zhili.cases.service import add_event
from zhili.cases.states import CaseStatus
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit


class LinkedKind(StrEnum):
    """The kinds of line another domain may add."""

    WARNING_JOINED = "warning_joined"
    GROUP_OPENED = "group_opened"
    GROUP_CLOSED = "group_closed"


GroupSight = Callable[[Session, Actor, Collection[int]], set[int]]
"""Which of these command groups the actor may open (their pages 404 for anyone else)."""


def sees_no_group(_session: Session, _actor: Actor, _ids: Collection[int]) -> set[int]:
    """The sight of a page built without command groups: no link to any."""
    return set()


@dataclass(frozen=True, slots=True)
class LinkedGroup:
    """A command group opened from the case, as its timeline lines tell it."""

    id: int
    title: str
    opened_at: datetime
    closed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        """True until its `group_closed` line."""
        return self.closed_at is None


def linked_groups(lines: Iterable[tuple[str, datetime, Mapping[str, Any]]]) -> list[LinkedGroup]:
    """The case's command groups from its timeline lines (kind, time, details), in the order they were opened."""
    found: dict[int, LinkedGroup] = {}
    for kind, at, details in lines:
        group_id = details.get("group_id")
        if not isinstance(group_id, int):
            continue
        if kind == LinkedKind.GROUP_OPENED:
            found[group_id] = LinkedGroup(group_id, str(details.get("group") or ""), at)
        elif kind == LinkedKind.GROUP_CLOSED and group_id in found:
            opened = found[group_id]
            found[group_id] = LinkedGroup(opened.id, opened.title, opened.opened_at, at)
    return list(found.values())


def is_open(session: Session, case_id: int) -> bool:
    """Whether the case is still being handled (not closed, rated, archived or rejected)."""
    return CaseStatus(store.load_any(session, case_id).status) not in FINISHED


def add_linked_event(
    session: Session, *, case_id: int, kind: LinkedKind, details: dict[str, Any], actor: Actor, clock: Clock
) -> None:
    """Append the line to the case's timeline (telling whose turn it is) with its audit record."""
    now = clock.now()
    case = store.lock(session, store.load_any(session, case_id), now)
    add_event(session, case, kind=kind.value, actor=actor, parties=frozenset(), details=details, at=now)
    audit.record_by(session, actor, f"case.{kind.value}", entity_type="case", entity_id=case.id, after=details, at=now)
    commit(session)
