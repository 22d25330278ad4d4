"""The campaign scores API: points and counts per person or per unit, within the caller's scope (read-only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from zhili.campaigns.scores.schemas import By, Level, ScoresRead
from zhili.campaigns.scores.scoring import Period, score_board
from zhili.core.auth import CurrentActor
from zhili.core.http import ClockDep, DbSession
from zhili.core.params import IdQuery, Instant
from zhili.org.division_code import DivisionLevel

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaign scores"])

MAX_ROWS = 20_000


@router.get("/scores")
def scores(
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    by: Annotated[By, Query(description="per person, or per unit (division) at `level`")] = "person",
    level: Annotated[Level, Query(description="the units when by=unit")] = DivisionLevel.TOWNSHIP,
    campaign: Annotated[IdQuery | None, Query(description="one campaign only")] = None,
    since: Annotated[Instant | None, Query(description="campaigns dispatched at or after")] = None,
    until: Annotated[Instant | None, Query(description="campaigns dispatched before")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 1_000,
) -> ScoresRead:
    """Scores of campaign tasks in your scope, highest points first: for the assessment (四维考评)."""
    period = Period(since=since, until=until, campaign_id=campaign)
    return score_board(session, scope=actor.scope, now=clock.now(), by=by, level=level, period=period, limit=limit)
