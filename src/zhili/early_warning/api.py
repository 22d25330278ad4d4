"""The early-warning API: department feeds and the enterprise register (`/api/v1/feeds`, `/api/v1/enterprises`).

A feed or register batch is posted as CSV (`Content-Type: text/csv`, UTF-8 or GB 18030) or as JSON
(`{"rows": [{column: value, ...}, ...]}`); the answer lists every refused row with its line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import ValidationError

from zhili.core.auth import CurrentActor
from zhili.core.errors import InvalidInputError
from zhili.core.http import ClockDep, DbSession
from zhili.core.months import PATTERN, Month, span
from zhili.core.pagination import CursorQuery, Page
from zhili.core.params import IdPath
from zhili.early_warning import loop, queries
from zhili.early_warning.feeds import store
from zhili.early_warning.feeds.csv_text import decode
from zhili.early_warning.feeds.rows import Cell, FeedRefusedError
from zhili.early_warning.feeds.schema import FEEDS, FeedKind, Mode
from zhili.early_warning.feeds.service import import_feed
from zhili.early_warning.models import FeedBatch
from zhili.early_warning.register import register_enterprises
from zhili.early_warning.schemas import (
    BatchRead,
    FeedImportRead,
    FeedRead,
    RegisterImportRead,
    RejectionRead,
    RowsBody,
    VerdictIn,
)
from zhili.org.geo import LocatorCache, request_locators

router = APIRouter(tags=["early warning"])

# The body is read raw (CSV or JSON rows), so its two forms are declared here for the OpenAPI document.
BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string", "description": "a header line, then one row per line"}},
            "application/json": {"schema": RowsBody.model_json_schema()},
        },
    }
}


async def _body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(_body)]
ContentType = Annotated[str, Header(alias="content-type")]
Source = Annotated[str, Query(min_length=1, max_length=200, description="where the batch comes from")]
Locators = Annotated[LocatorCache, Depends(request_locators)]


class _Batch:
    """A posted batch as a header and numbered rows, whichever way it came."""

    def __init__(self, data: bytes, content_type: str) -> None:
        media = content_type.split(";", 1)[0].strip().lower()
        try:
            if media == "application/json":
                rows = RowsBody.model_validate_json(data).rows
                self.header = tuple(dict.fromkeys(key for row in rows for key in row))
                self._rows: list[tuple[int, Mapping[str, Cell]]] = list(enumerate(rows, start=2))
            elif media in {"text/csv", "application/csv"}:
                parsed = decode(data)
                self.header, self._rows = parsed.header, list(parsed.rows())
            else:
                message = f"send text/csv or application/json, not {media or 'nothing'}"
                raise InvalidInputError(message, errors=[{"field": "header.content-type", "message": message}])
        except (FeedRefusedError, ValidationError) as exc:
            raise InvalidInputError(str(exc), errors=[{"field": "body", "message": str(exc)[:500]}]) from exc

    def rows(self) -> Iterator[tuple[int, Mapping[str, Cell]]]:
        """The rows with their line numbers."""
        return iter(self._rows)


@router.get("/api/v1/feeds")
def list_feeds(_actor: CurrentActor) -> list[FeedRead]:
    """Every feed's declared schema: columns, types, units, the indicator each fills, who provides it."""
    return [FeedRead.of(feed) for feed in FEEDS.values()]


@router.get("/api/v1/feeds/batches")
def list_batches(
    session: DbSession,
    actor: CurrentActor,
    kind: FeedKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[BatchRead]:
    """The latest delivered batches with their provenance and refused rows (administrators)."""
    actor.require_admin("read the feeds' batches")
    return [_batch(batch) for batch in store.batches(session, kind=kind, limit=limit)]


def _batch(batch: FeedBatch) -> BatchRead:
    months = (
        []
        if batch.first_month is None or batch.last_month is None
        else span(Month(batch.first_month), Month(batch.last_month))
    )
    return BatchRead(
        id=batch.id,
        kind=batch.kind,
        mode=batch.mode,
        source=batch.source,
        provider=batch.provider,
        months=[str(month) for month in months],
        rows_accepted=batch.rows_accepted,
        rows_rejected=batch.rows_rejected,
        received_at=batch.received_at,
        received_by=batch.received_by,
        rejections=[RejectionRead.model_validate(r) for r in batch.rejections],
    )


@router.post("/api/v1/feeds/{kind}", status_code=201, openapi_extra=BATCH_BODY)
def post_feed(
    kind: FeedKind,
    data: RawBody,
    content_type: ContentType,
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    mode: Mode = Mode.REPLACE,
    source: Source = "api",
) -> FeedImportRead:
    """Import a batch of a department feed (administrators): the rows stored, and each refused with its reason."""
    batch = _Batch(data, content_type)
    report = import_feed(
        session,
        actor=actor,
        clock=clock,
        kind=kind,
        header=batch.header,
        rows=batch.rows(),
        source=source,
        mode=mode,
    )
    return FeedImportRead.of(report)


@router.post("/api/v1/enterprises", status_code=201, openapi_extra=BATCH_BODY)
def post_enterprises(
    data: RawBody,
    content_type: ContentType,
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    locators: Locators,
    source: Source = "api",
) -> RegisterImportRead:
    """Add or update enterprises of the register (administrators)."""
    batch = _Batch(data, content_type)
    report = register_enterprises(
        session, actor=actor, clock=clock, locators=locators, header=batch.header, rows=batch.rows(), source=source
    )
    return RegisterImportRead.of(report)


@router.get("/api/v1/warnings")
def list_warnings(
    session: DbSession,
    actor: CurrentActor,
    month: Annotated[str | None, Query(pattern=PATTERN, description="YYYY-MM")] = None,
    grade: Annotated[
        int | None, Query(ge=1, le=3, description="at least this grade: 1 yellow, 2 orange, 3 red")
    ] = None,
    verdict: Annotated[str | None, Query(pattern="^(pending|confirmed_arrears|risk_resolved|false_alarm)$")] = None,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[queries.WarningRead]:
    """Warnings of the firms the caller sees, newest month first, red first."""
    chosen = Month.parse(month) if month else None
    return queries.list_warnings(session, actor, month=chosen, grade=grade, verdict=verdict, cursor=cursor, limit=limit)


@router.get("/api/v1/enterprises/{enterprise_id}")
def get_enterprise(enterprise_id: IdPath, session: DbSession, actor: CurrentActor) -> queries.FirmDetail:
    """A firm the caller sees: the register, 36 months of indicators and risk, its warnings and events."""
    last = queries.latest_month(session) or Month.parse("2026-01")
    return queries.firm_detail(session, actor, enterprise_id, last=last)


@router.post("/api/v1/warnings/{warning_id}/verdict")
def post_verdict(
    warning_id: IdPath, body: VerdictIn, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> queries.WarningRead:
    """Record what checking a warning found (the labour unit, the centre or an administrator)."""
    loop.record_verdict(session, actor=actor, clock=clock, warning_id=warning_id, verdict=body.verdict, note=body.note)
    return queries.warning(session, actor, warning_id)
