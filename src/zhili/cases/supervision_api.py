"""Supervision API: urge or supervise a case by hand; the cards issued, listed and counted per unit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from zhili.cases import supervision
from zhili.cases.schemas import SupervisionAction, SupervisionCardRead, SupervisionCreate, UnitCardCount
from zhili.core.auth import CurrentActor
from zhili.core.http import ClockDep, DbSession
from zhili.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, CursorQuery, Page
from zhili.core.params import IdPath, IdQuery, Instant

router = APIRouter(prefix="/api/v1", tags=["supervision"])


@router.post("/cases/{case_id}/supervision", status_code=201)
def supervise_case(
    case_id: IdPath, body: SupervisionCreate, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> SupervisionCardRead:
    """Urge (催办) or supervise (督办) a running case; for the dispatching centre and the level above."""
    return supervision.supervise_case(session, case_id=case_id, body=body, actor=actor, clock=clock)


@router.get("/supervision/cards")
def list_cards(
    session: DbSession,
    actor: CurrentActor,
    county: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    unit: IdQuery | None = None,
    action: SupervisionAction | None = None,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[SupervisionCardRead]:
    """Cards issued on cases in your scope, newest first."""
    return supervision.list_cards(session, actor, county=county, unit=unit, action=action, cursor=cursor, limit=limit)


@router.get("/supervision/units")
def cards_by_unit(session: DbSession, actor: CurrentActor, since: Instant | None = None) -> list[UnitCardCount]:
    """Cards per unit and kind, red cards first (the county centre's supervision table)."""
    return supervision.cards_by_unit(session, actor, since=since)
