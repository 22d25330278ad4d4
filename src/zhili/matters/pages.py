"""Matter catalog pages: the list of matters and one matter with its limits, ladder and history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from zhili.core.auth import PageActor
from zhili.core.http import DbSession
from zhili.core.params import MAX_ID
from zhili.matters import browse
from zhili.matters.definition import CODE_PATTERN
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)


@router.get("/matters")
def matters_index(request: Request, session: DbSession, actor: PageActor) -> Response:
    """Every current matter with its lead, level and version."""
    page = browse.catalog_page(session)
    return renderer(request).render(request, "matters/index.html", {"actor": actor, "page": page})


@router.get("/matters/{code}")
def matter_detail(
    request: Request,
    code: Annotated[str, Path(pattern=CODE_PATTERN)],
    session: DbSession,
    actor: PageActor,
    version: Annotated[int | None, Query(gt=0, le=MAX_ID)] = None,
) -> Response:
    """One matter: who leads and helps, limits, escalation, evidence, intake and version history."""
    page = browse.matter_page(session, code, version=version)
    context = {
        "actor": actor,
        "page": page,
        "phases": browse.PHASES,
        "handler_levels": browse.HANDLER_LEVELS,
    }
    return renderer(request).render(request, "matters/matter.html", context)
