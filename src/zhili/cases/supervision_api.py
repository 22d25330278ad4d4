"""Supervision API: urge or supervise a case by hand; the cards issued, listed and counted per unit; rating reviews."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from zhili.cases import rating_review, supervision
from zhili.cases.schemas import (
    RatingReviewCreate,
    RatingReviewRead,
    SupervisionCardRead,
    SupervisionCreate,
    UnitCardCount,
)
from zhili.core.auth import CurrentActor
from zhili.core.http import ClockDep, DbSession
from zhili.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, CursorQuery, Page
from zhili.core.params import IdPath, IdQuery, Instant
from zhili.matters.definition import EscalationAction

router = APIRouter(prefix="/api/v1", tags=["supervision"])


@router.post("/cases/{case_id}/supervision", status_code=201)
def supervise_case(
    case_id: IdPath, body: SupervisionCreate, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> SupervisionCardRead:
    """Urge (催办) or supervise (督办) a running case; for the dispatching centre and the level above."""
    return supervision.supervise_case(session, case_id=case_id, body=body, actor=actor, clock=clock)


@router.post("/cases/{case_id}/rating-review", status_code=201)
def review_rating(
    case_id: IdPath, body: RatingReviewCreate, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> RatingReviewRead:
    """Review a rated case's rating after a call-back (回访复核): uphold it, or overturn it (评价被推翻), once.

    For the dispatching centre and the level above. An overturned rating costs the lead unit quality
    points in the assessment. 409 when the case is not rated or was reviewed already.
    """
    return rating_review.review_rating(
        session, case_id=case_id, outcome=body.outcome, reason=body.reason, actor=actor, clock=clock
    )


@router.get("/supervision/cards")
def list_cards(
    session: DbSession,
    actor: CurrentActor,
    county: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    unit: IdQuery | None = None,
    action: EscalationAction | None = None,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[SupervisionCardRead]:
    """Cards issued on cases in your scope, newest first."""
    return supervision.list_cards(session, actor, county=county, unit=unit, action=action, cursor=cursor, limit=limit)


@router.get("/supervision/units")
def cards_by_unit(session: DbSession, actor: CurrentActor, since: Instant | None = None) -> list[UnitCardCount]:
    """Cards per unit and kind, red cards first (the county centre's supervision table)."""
    return supervision.cards_by_unit(session, actor, since=since)
