"""Firing due timers in batches: one transaction claims a batch, runs its handlers and deletes it.

The handlers' effects and the deletion commit together, so a crash before the commit leaves the
batch due for the next run and a crash after it leaves nothing to redo: a timer fires once in effect.
On PostgreSQL the batch is claimed with `FOR UPDATE SKIP LOCKED`, so several workers on several
machines take disjoint batches; SQLite serialises writers, so one worker is the rule there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session, sessionmaker

from zhili.clocks.models import Timer
from zhili.core.clock import Clock
from zhili.core.db import commit

DEFAULT_BATCH = 2_000
_DELETE = delete(Timer).where(Timer.id.in_(bindparam("ids", expanding=True)))


@dataclass(frozen=True)
class DueTimer:
    """A timer being fired."""

    id: int
    kind: str
    subject_id: int
    step: str
    generation: int
    share: float
    due_at: datetime
    payload: Mapping[str, Any]


Handler = Callable[[Session, Sequence[DueTimer], datetime], None]
"""Acts on a batch of due timers of one kind, set-based, inside the firing transaction."""


def claim_due(session: Session, *, kinds: Sequence[str], now: datetime, limit: int) -> list[DueTimer]:
    """Lock and read up to `limit` due timers of the given kinds, oldest first."""
    statement = (
        select(
            Timer.id,
            Timer.kind,
            Timer.subject_id,
            Timer.step,
            Timer.generation,
            Timer.share,
            Timer.due_at,
            Timer.payload,
        )
        .where(Timer.due_at <= now, Timer.kind.in_(kinds))
        .order_by(Timer.due_at, Timer.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [
        DueTimer(
            id=row.id,
            kind=row.kind,
            subject_id=row.subject_id,
            step=row.step,
            generation=row.generation,
            share=row.share,
            due_at=row.due_at,
            payload=row.payload,
        )
        for row in session.execute(statement)
    ]


def fire_due(
    sessions: sessionmaker[Session], *, clock: Clock, handlers: Mapping[str, Handler], batch_size: int = DEFAULT_BATCH
) -> int:
    """Fire one batch of due timers; the number fired (0 when nothing is due).

    Only kinds with a handler are claimed, so a worker that does not know a kind leaves it for
    one that does.
    """
    with sessions() as session:
        now = clock.now()
        due = claim_due(session, kinds=list(handlers), now=now, limit=batch_size)
        if not due:
            return 0
        by_kind: defaultdict[str, list[DueTimer]] = defaultdict(list)
        for timer in due:
            by_kind[timer.kind].append(timer)
        for kind, timers in by_kind.items():
            handlers[kind](session, timers, now)
        session.execute(_DELETE, {"ids": [timer.id for timer in due]})
        commit(session)
    return len(due)
