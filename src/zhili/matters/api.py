"""The matter catalog API under /api/v1/matters: read by any logged-in user, reloaded by administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from zhili.core.auth import CurrentActor
from zhili.core.http import ClockDep, DbSession, run_in_write_session
from zhili.core.idempotency import respond_once
from zhili.core.params import MAX_ID
from zhili.matters import queries, service
from zhili.matters.definition import CODE_PATTERN
from zhili.matters.schemas import MatterEdit, MatterRead, MatterSummary, MatterVersionRead, SyncReport

router = APIRouter(prefix="/api/v1/matters", tags=["matters"])

Code = Annotated[str, Path(pattern=CODE_PATTERN, description="the matter code, e.g. illegal_parking")]
Version = Annotated[int, Path(gt=0, le=MAX_ID)]
IdempotencyKey = Annotated[str | None, Header(max_length=200, description="makes a retried edit safe")]


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


@router.patch("/{code}", responses={409: {"description": "a newer version than `version` is current"}})
async def edit_matter(
    code: Code,
    body: MatterEdit,
    request: Request,
    actor: CurrentActor,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Change a matter's phase limits or lead/collaborating kinds: saved as a new current version (administrators).

    The version before stays for the cases running on it. `version` is the version the edit was
    made on (409 when another edit or a reload made a newer one since); `reason` is required. The
    answer is the matter with its history, as `GET` gives it.
    """

    def answer(session: Session) -> JSONResponse:
        def edited() -> MatterRead:
            service.edit_matter(session, code=code, data=body, actor=actor, clock=clock)
            return queries.get_matter(session, code)

        return respond_once(
            session,
            owner=actor.audit_name,
            key=idempotency_key,
            request=("PATCH", f"/api/v1/matters/{code}", body),
            now=clock.now(),
            create=edited,
            status_code=200,
        )

    return await run_in_write_session(request, answer)


@router.get("/{code}/versions/{version}")
def get_matter_version(code: Code, version: Version, session: DbSession, _actor: CurrentActor) -> MatterVersionRead:
    """One version of a matter, as cases started on it see it."""
    return queries.get_version(session, code, version)
