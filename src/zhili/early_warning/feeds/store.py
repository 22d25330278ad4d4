"""The feeds' statements: batches, the wide monthly rows (upserted per feed's columns) and events."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from zhili.core.db import load_tuples
from zhili.core.months import Month
from zhili.early_warning.feeds.schema import Feed, FeedKind
from zhili.early_warning.models import Enterprise, FeedBatch, FirmEvent, FirmMonth

CHUNK: Final = 900  # bound parameters per IN list, under SQLite's limit
MONTHS: Final = cast("Table", FirmMonth.__table__)
EVENTS: Final = cast("Table", FirmEvent.__table__)


def batch_column(kind: FeedKind) -> str:
    """The `firm_months` column naming the batch that delivered a monthly feed's columns."""
    return f"{kind.value}_batch_id"


def enterprise_ids(session: Session, codes: Collection[str]) -> dict[str, int]:
    """Register ids of the credit codes that are in the register."""
    ordered = sorted(codes)
    found: dict[str, int] = {}
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        rows = session.execute(select(Enterprise.credit_code, Enterprise.id).where(Enterprise.credit_code.in_(chunk)))
        found.update((code, id_) for code, id_ in rows)
    return found


def add_batch(
    session: Session,
    *,
    kind: FeedKind,
    mode: str,
    source: str,
    provider: str,
    months: Sequence[Month],
    accepted: int,
    rejected: int,
    rejections: list[dict[str, Any]],
    at: datetime,
    by: str,
) -> int:
    """Record a batch; its id."""
    batch = FeedBatch(
        kind=kind.value,
        mode=mode,
        source=source[:200],
        provider=provider,
        first_month=months[0].index if months else None,
        last_month=months[-1].index if months else None,
        rows_accepted=accepted,
        rows_rejected=rejected,
        rejections=rejections,
        received_at=at,
        received_by=by,
    )
    session.add(batch)
    session.flush()
    return batch.id


def _feed_columns(feed: Feed) -> list[str]:
    return [indicator.value for indicator in feed.indicators]


def clear_monthly(session: Session, feed: Feed, months: Sequence[Month]) -> None:
    """Forget what a monthly feed held for `months` (its columns and batch become NULL)."""
    batch = batch_column(feed.kind)
    cleared = dict.fromkeys([*_feed_columns(feed), batch])
    for start in range(0, len(months), CHUNK):
        chunk = [month.index for month in months[start : start + CHUNK]]
        session.execute(update(MONTHS).where(MONTHS.c.month.in_(chunk), MONTHS.c[batch].is_not(None)).values(cleared))


def upsert_monthly(session: Session, feed: Feed, rows: list[dict[str, Any]]) -> None:
    """Write a monthly feed's columns into each row's (enterprise, month), creating the row if needed."""
    if not rows:
        return
    statement = upsert_insert(session, MONTHS)
    written = [*_feed_columns(feed), batch_column(feed.kind)]
    upsert = statement.on_conflict_do_update(
        index_elements=["enterprise_id", "month"], set_={name: statement.excluded[name] for name in written}
    )
    session.execute(upsert, rows)


def clear_events(session: Session, kind: FeedKind, months: Sequence[Month]) -> None:
    """Forget an events feed's events in `months`."""
    for start in range(0, len(months), CHUNK):
        chunk = [month.index for month in months[start : start + CHUNK]]
        session.execute(delete(EVENTS).where(EVENTS.c.feed == kind.value, EVENTS.c.month.in_(chunk)))


def upsert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add events; one already held (same firm, feed, kind, day and reference) is kept, not doubled."""
    if rows:
        statement = upsert_insert(session, EVENTS).on_conflict_do_nothing()
        session.execute(statement, rows)


def insert_panel(session: Session, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A bulk load of new monthly rows as tuples in the order of `columns` (the demo's three years)."""
    unknown = set(columns) - set(MONTHS.c.keys())
    if unknown:
        msg = f"firm_months has no columns {sorted(unknown)}"
        raise ValueError(msg)
    load_tuples(session, MONTHS.name, columns, rows)


def upsert_insert(session: Session, table: Table) -> Any:
    """An INSERT of the session's dialect, which offers `on_conflict_do_update` / `_do_nothing` on both backends."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def batches(session: Session, *, kind: FeedKind | None, limit: int) -> list[FeedBatch]:
    """The latest batches, newest first (of one feed, or all)."""
    statement = select(FeedBatch).order_by(FeedBatch.id.desc()).limit(limit)
    if kind is not None:
        statement = statement.where(FeedBatch.kind == kind.value)
    return list(session.scalars(statement))
