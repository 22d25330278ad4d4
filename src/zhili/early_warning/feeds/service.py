"""Importing a feed: check every row, store the good ones set-based, record the batch and its refusals.

`import_feed` is the one writer of `firm_months` and `firm_events` (besides the demo's bulk load,
`store.insert_panel`). A batch covers the months of its accepted rows; in `replace` mode (the default)
it first clears what the feed held for those months, so importing the same month twice leaves one
copy, and a firm that has left the feed no longer carries last import's numbers. `merge` mode only
adds and overwrites the rows it brings (a late correction of a few firms).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from sqlalchemy.orm import Session

from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import InvalidInputError
from zhili.core.local_time import to_local
from zhili.core.months import Month
from zhili.early_warning.feeds import packed, store
from zhili.early_warning.feeds.rows import Cell, CheckedRow, FeedRefusedError, Rejection, check_header, check_rows
from zhili.early_warning.feeds.schema import FEEDS, Feed, FeedKind, Mode, Shape

KEPT_REJECTIONS: Final = 500  # the batch keeps the first refusals; the report returns all


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did."""

    batch_id: int
    kind: FeedKind
    mode: Mode
    accepted: int
    rejected: tuple[Rejection, ...]
    months: tuple[Month, ...]


def import_feed(
    session: Session,
    *,
    actor: Actor,
    clock: Clock,
    kind: FeedKind,
    header: Sequence[str],
    rows: Iterable[tuple[int, Mapping[str, Cell]]],
    source: str,
    mode: Mode = Mode.REPLACE,
) -> ImportReport:
    """Check and store one batch of a feed (administrators); refused as a whole only for its columns."""
    actor.require_admin("import department feeds")
    feed = FEEDS[kind]
    try:
        check_header(feed, header)
    except FeedRefusedError as exc:
        raise InvalidInputError(str(exc), errors=[{"field": "header", "message": str(exc)}]) from exc
    now = clock.now()
    checked, rejected = check_rows(feed, rows, latest=Month.containing(to_local(now).date()))
    ids = store.enterprise_ids(session, {row.credit_code for row in checked})
    known = [row for row in checked if row.credit_code in ids]
    rejected += [
        Rejection(row.line, "credit_code", f"登记库中没有此企业 / {row.credit_code} is not in the register")
        for row in checked
        if row.credit_code not in ids
    ]
    rejected.sort(key=lambda rejection: rejection.line)
    months = tuple(sorted({row.month for row in known}))
    batch_id = store.add_batch(
        session,
        kind=kind,
        mode=mode,
        source=source,
        provider=feed.provider_zh,
        months=months,
        accepted=len(known),
        rejections=[_rejection_json(r) for r in rejected[:KEPT_REJECTIONS]],
        rejected=len(rejected),
        at=now,
        by=actor.audit_name,
    )
    if feed.shape is Shape.MONTHLY:
        _store_monthly(session, feed, known, ids=ids, batch_id=batch_id, months=months, mode=mode)
    else:
        _store_events(session, feed, known, ids=ids, batch_id=batch_id, months=months, mode=mode)
    audit.record_by(
        session,
        actor,
        "early_warning.feed.imported",
        entity_type="feed_batch",
        entity_id=str(batch_id),
        after={"kind": kind, "mode": mode, "source": source, "accepted": len(known), "rejected": len(rejected)},
        at=now,
    )
    commit(session)
    return ImportReport(batch_id, kind, mode, len(known), tuple(rejected), months)


def _rejection_json(rejection: Rejection) -> dict[str, Any]:
    return {"line": rejection.line, "column": rejection.column, "reason": rejection.reason}


def _store_monthly(
    session: Session,
    feed: Feed,
    rows: list[CheckedRow],
    *,
    ids: Mapping[str, int],
    batch_id: int,
    months: tuple[Month, ...],
    mode: Mode,
) -> None:
    if mode is Mode.REPLACE:
        store.clear_monthly(session, feed, months)
    store.upsert_monthly(session, feed, [_monthly_values(feed, row, ids, batch_id) for row in rows])
    packed.refresh(session, months, feed.indicators)


def _monthly_values(feed: Feed, row: CheckedRow, ids: Mapping[str, int], batch_id: int) -> dict[str, Any]:
    values: dict[str, Any] = {"enterprise_id": ids[row.credit_code], "month": row.month.index}
    for column in feed.columns:
        if column.indicator is None:
            continue
        value = row.values[column.name]
        values[column.indicator.value] = _pay_delay(row.month, value) if isinstance(value, date) else value
    values[store.batch_column(feed.kind)] = batch_id
    return values


def _pay_delay(month: Month, paid_on: date) -> float:
    """Days from the month's last day to the pay date (negative: paid before the month ended)."""
    last = date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])
    return float((paid_on - last).days)


def _store_events(
    session: Session,
    feed: Feed,
    rows: list[CheckedRow],
    *,
    ids: Mapping[str, int],
    batch_id: int,
    months: tuple[Month, ...],
    mode: Mode,
) -> None:
    if mode is Mode.REPLACE:
        store.clear_events(session, feed.kind, months)
    kind_column = feed.columns[1].name
    store.upsert_events(
        session,
        [
            {
                "enterprise_id": ids[row.credit_code],
                "feed": feed.kind.value,
                "kind": row.values[kind_column],
                "month": row.month.index,
                "occurred_on": row.values["date"],
                "reference": row.values["reference"],
                "authority": row.values.get("authority"),
                "workers": _whole(row.values.get("workers")),
                "batch_id": batch_id,
            }
            for row in rows
        ],
    )


def _whole(value: object) -> int | None:
    return int(value) if isinstance(value, float) else None
