"""The matter catalog API under /api/v1/matters: read by any logged-in user, reloaded by administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from zhili.core.auth import CurrentActor
from zhili.core.http import ClockDep, DbSession
from zhili.core.params import MAX_ID
from zhili.matters import queries, service
from zhili.matters.definition import CODE_PATTERN
from zhili.matters.schemas import MatterRead, MatterSummary, MatterVersionRead, SyncReport

router = APIRouter(prefix="/api/v1/matters", tags=["matters"])

Code = Annotated[str, Path(pattern=CODE_PATTERN, description="the matter code, e.g. illegal_parking")]
Version = Annotated[int, Path(gt=0, le=MAX_ID)]


@router.get("")
def list_matters(session: DbSession, _actor: CurrentActor) -> list[MatterSummary]:
    """The current version of every matter of the catalog."""
    return queries.list_current(session)


@router.post("/reload")
def reload_catalog(session: DbSession, actor: CurrentActor, clock: ClockDep) -> SyncReport:
    """Load the catalog files: changed matters become new versions (administrators only)."""
    return service.sync_catalog(session, actor=actor, clock=clock)


@router.get("/{code}")
def get_matter(code: Code, session: DbSession, _actor: CurrentActor) -> MatterRead:
    """A matter's current definition and the list of its versions."""
    return queries.get_matter(session, code)


@router.get("/{code}/versions/{version}")
def get_matter_version(code: Code, version: Version, session: DbSession, _actor: CurrentActor) -> MatterVersionRead:
    """One version of a matter, as cases started on it see it."""
    return queries.get_version(session, code, version)
