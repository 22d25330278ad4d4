"""Organisation pages: the org browser (条块), people, and the map of Quzhou."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from zhili.core.auth import PageActor
from zhili.core.http import ClockDep, DbSession
from zhili.core.pagination import CursorQuery
from zhili.core.params import IdPath
from zhili.org import browse, links, map_view, queries, service
from zhili.org.permissions import require_manager
from zhili.org.roles import role_name
from zhili.org.schemas import GridContactSet
from zhili.web.i18n import LANGUAGES, messages, translate
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)


@router.get("/org")
def org_index(request: Request, session: DbSession, actor: PageActor) -> Response:
    """Start at the roots of the user's scope; with one root, go straight to it."""
    roots = queries.scope_roots(session, actor)
    if len(roots) == 1:
        asked = request.query_params.get("lang")  # the language asked for stays asked for
        lang = f"?lang={asked}" if asked in LANGUAGES else ""
        return RedirectResponse(f"/org/divisions/{roots[0].code}{lang}", status_code=303)
    return renderer(request).render(request, "org/index.html", {"actor": actor, "roots": roots})


@router.get("/org/search")
def org_search(
    request: Request, session: DbSession, actor: PageActor, q: Annotated[str, Query(max_length=60)] = ""
) -> Response:
    """Divisions matching a name or code, and people matching a name or phone: a manager finds whom to change."""
    found = browse.search_page(session, actor, q.strip())
    context = {"actor": actor, "q": q, "results": found.divisions, "people": found.people, "role_name": role_name}
    return renderer(request).render(request, "org/search.html", context)


@router.get("/org/divisions/{code}")
def org_division(
    request: Request, code: str, session: DbSession, actor: PageActor, cursor: CursorQuery = None
) -> Response:
    """A division: where it sits, its subdivisions, its units, its people and its links."""
    page = browse.division_page(session, actor, code, cursor=cursor)
    context = {
        "actor": actor,
        "page": page,
        "role_name": role_name,
        "can_add": actor.write_scope.reaches_unit(code, None),
        "contact_saved": request.query_params.get("contact_saved") == "1",
    }
    return renderer(request).render(request, "org/division.html", context)


@router.post("/org/divisions/{code}/contacts")
async def name_grid_contact(
    request: Request, code: str, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """Name (or change) a unit's contact officer for this grid (两网融合), chosen from the officers offered."""
    form = await request.form()
    chosen = str(form.get("position_id") or "")

    def name_contact() -> bool:
        offered = {c.position_id: c for c in links.contact_candidates(session, actor, code)}
        candidate = offered.get(int(chosen)) if chosen.isdigit() else None
        if candidate is None:
            return False
        data = GridContactSet(department_id=candidate.unit_id, position_id=candidate.position_id)
        service.set_grid_contact(session, grid_code=code, data=data, actor=actor, clock=clock)
        return True

    require_manager(actor)
    if await run_in_threadpool(name_contact):
        return RedirectResponse(f"/org/divisions/{code}?contact_saved=1#contacts", status_code=303)
    page = await run_in_threadpool(browse.division_page, session, actor, code, cursor=None)
    context = {
        "actor": actor,
        "page": page,
        "role_name": role_name,
        "can_add": actor.write_scope.reaches_unit(code, None),
        "contact_error": translate("form.error.choice", renderer(request).language(request)),
    }
    return renderer(request).render(request, "org/division.html", context, status_code=422)


@router.get("/org/departments/{department_id}")
def org_department(request: Request, department_id: IdPath, session: DbSession, actor: PageActor) -> Response:
    """A department: its staff, its own grids and the enforcement items of its kind."""
    page = browse.department_page(session, actor, department_id)
    return renderer(request).render(
        request,
        "org/department.html",
        {
            "actor": actor,
            "page": page,
            "role_name": role_name,
            "can_add": actor.write_scope.reaches_unit(page.department.division_code, page.department.id),
        },
    )


@router.get("/map")
def org_map(request: Request, session: DbSession, actor: PageActor) -> Response:
    """The map of my area (all of Quzhou for the city), its division layers and the case points I may see."""
    lang = renderer(request).language(request)
    labels = {key: translate(key, lang) for key in messages() if key.startswith(("status.", "light."))}
    return renderer(request).render(
        request,
        "org/map.html",
        {"actor": actor, "bounds": map_view.scope_bounds(session, actor), "labels": labels},
    )
