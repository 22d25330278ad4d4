"""The live board's API: counts, the three lists and their exports, and the stream of board changes.

`division` narrows everything to a subtree the caller may open (their top division for the
campaign or one inside their scope); anything else is a 404, like a campaign they cannot see.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhili.campaigns.board import export as board_export
from zhili.campaigns.board import stream as board_stream
from zhili.campaigns.board.counts import board
from zhili.campaigns.board.people import all_people, people
from zhili.campaigns.board.schemas import BoardRead, PersonRow, Which
from zhili.campaigns.visibility import load_campaign
from zhili.core import exports
from zhili.core.auth import Actor, CurrentActor
from zhili.core.clock import Clock
from zhili.core.http import ClockDep, DbSession, services
from zhili.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, CursorQuery, Page
from zhili.core.params import IdPath
from zhili.org.division_code import PATTERN as DIVISION_PATTERN
from zhili.web import sse
from zhili.web.i18n import request_language

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaign board"])

DivisionQuery = Annotated[
    str | None,
    Query(pattern=DIVISION_PATTERN, description="a division code under the campaign (default: your top one)"),
]
WhichQuery = Annotated[
    Which,
    Query(description="unclaimed (未领办), unanswered (已领办未回复: claimed, no report) or finished (已回复)"),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Language = Annotated[str | None, Query(pattern="^(zh|en)$", description="headings and role names (default: yours)")]
CACHE_HEADERS = {"Cache-Control": "no-store"}


@router.get("/{campaign_id}/board")
def read_board(
    campaign_id: IdPath, session: DbSession, actor: CurrentActor, clock: ClockDep, division: DivisionQuery = None
) -> BoardRead:
    """Counts per state at a division and at each division one level down, per role, claim times."""
    return board(session, actor, campaign_id, division=division, now=clock.now())


@router.get("/{campaign_id}/people")
def list_people(
    campaign_id: IdPath,
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    which: WhichQuery,
    division: DivisionQuery = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[PersonRow]:
    """Who has not claimed, who claimed and has not answered, or who answered; with their and their boss's phone."""
    return people(
        session, actor, campaign_id, which=which, division=division, now=clock.now(), cursor=cursor, limit=limit
    )


def _export(
    session: Session, actor: Actor, clock: Clock, campaign_id: int, *, which: Which, division: str | None
) -> tuple[str, list[PersonRow]]:
    number = load_campaign(session, actor, campaign_id).number
    rows = list(all_people(session, actor, campaign_id, which=which, division=division, now=clock.now()))
    return number, rows


def _language(request: Request) -> str:
    return request_language(request, services(request).settings.default_language)


def _attachment(name: str) -> dict[str, str]:
    return {**CACHE_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/{campaign_id}/people.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def export_csv(
    request: Request,
    campaign_id: IdPath,
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    which: WhichQuery,
    division: DivisionQuery = None,
    lang: Language = None,  # noqa: ARG001 - documented here, read by request_language with the cookie
) -> Response:
    """The whole list as CSV (UTF-8 with BOM)."""
    number, rows = _export(session, actor, clock, campaign_id, which=which, division=division)
    body = board_export.to_csv(rows, _language(request))
    name = board_export.filename(number, which, "csv")
    return Response(body, media_type=exports.CSV_MEDIA_TYPE, headers=_attachment(name))


@router.get(
    "/{campaign_id}/people.xlsx",
    response_class=Response,
    responses={200: {"content": {exports.XLSX_MEDIA_TYPE: {}}}},
)
def export_xlsx(
    request: Request,
    campaign_id: IdPath,
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    which: WhichQuery,
    division: DivisionQuery = None,
    lang: Language = None,  # noqa: ARG001 - documented here, read by request_language with the cookie
) -> Response:
    """The whole list as an Excel workbook."""
    number, rows = _export(session, actor, clock, campaign_id, which=which, division=division)
    body = board_export.to_xlsx(rows, _language(request), which=which)
    name = board_export.filename(number, which, "xlsx")
    return Response(body, media_type=exports.XLSX_MEDIA_TYPE, headers=_attachment(name))


@router.get(
    "/{campaign_id}/board/stream",
    response_class=StreamingResponse,
    responses=sse.OPENAPI_RESPONSES,
)
async def stream_board(
    request: Request, campaign_id: IdPath, actor: CurrentActor, division: DivisionQuery = None
) -> StreamingResponse:
    """Server-sent events: `board` with the whole board whenever it changes, heartbeats in between.

    A campaign or division the caller cannot see is a 404 before the stream starts; `gone` ends a
    stream whose campaign has gone out of sight.
    """
    found = services(request)
    await run_in_threadpool(board_stream.read_board, found, actor, campaign_id, division)
    events = board_stream.board_events(request, found, actor=actor, campaign_id=campaign_id, division=division)
    return sse.response(events)
