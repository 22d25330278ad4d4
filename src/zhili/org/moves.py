"""A post's move (调动) as others hear of it: what moved, and who is listening.

`org` sits below `notify` in the layers, so the move does not tell anyone itself: it announces a
`PostMoved` inside its transaction, and the composition root (`zhili.app`) subscribes the listener
that tells the people concerned (`notify.post_moves`). A listener writes in the move's transaction
and is committed with it; one that raises undoes the move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from zhili.core.auth import Actor
from zhili.core.clock import Clock


@dataclass(frozen=True, slots=True)
class Place:
    """Where a post is: a division, or a unit (department) in it."""

    division_code: str
    department_id: int | None


@dataclass(frozen=True, slots=True)
class PostMoved:
    """One post moved from one place to another, by whom, and what it left for others to arrange."""

    position_id: int
    person_id: int
    role: str
    before: Place
    after: Place
    supervisor_before: int | None  # a position id
    supervisor_after: int | None
    households_released: int
    grid_contacts_released: int
    by: Actor


Listener = Callable[[Session, PostMoved, Clock], None]
_LISTENERS: list[Listener] = []


def subscribe(listener: Listener) -> None:
    """Have `listener` hear of every move from now on (once, however often it subscribes)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def announce(session: Session, moved: PostMoved, clock: Clock) -> None:
    """Tell every listener, in the move's transaction."""
    for listener in tuple(_LISTENERS):
        listener(session, moved, clock)
