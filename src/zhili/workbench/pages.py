"""The home page: the workbench (工作台) with the actor's counts, and their posts and data scope."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from zhili.core.auth import PageActor
from zhili.core.http import ClockDep, DbSession
from zhili.org.queries import scope_roots
from zhili.org.roles import role_name
from zhili.web.templating import renderer
from zhili.workbench.notices import calendar_gaps
from zhili.workbench.numbers import my_numbers
from zhili.workbench.reports import my_reports
from zhili.workbench.tiles import assessment_tile, groups_tile, tiles

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """What waits for me, as counts that open the queues; my posts and where I see; a calendar running out."""
    now = clock.now()
    context = {
        "actor": actor,
        "tiles": tiles(session, actor, now=now),
        "numbers": my_numbers(session, actor, now=now),
        "assessment": assessment_tile(session, actor, now=now),
        "command_groups": groups_tile(session, actor, now=now),
        "my_reports": my_reports(session, actor),
        "calendar_gaps": calendar_gaps(session, actor, now=now),
        "roots": scope_roots(session, actor),
        "role_name": role_name,
    }
    return renderer(request).render(request, "workbench/home.html", context)
