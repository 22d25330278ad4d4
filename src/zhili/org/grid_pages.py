"""导入网格边界 from the pages: a manager uploads a GeoJSON file of grids and sees what was inserted or redrawn.

The file is checked whole (`org.grid_import`); a refused file shows the form again with every problem
by its feature and field, in the page's language, and nothing is imported. An imported file shows each
grid with its village, linked to their pages, and the grids on a small map. The write runs on the write
path (`run_in_write_session`) under the form's once-key, so a form sent twice imports once.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from fastapi import APIRouter, Request
from shapely.geometry import mapping
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from zhili.core.auth import Actor, PageActor
from zhili.core.errors import DomainError, ForbiddenError, InvalidInputError, NotFoundError
from zhili.core.http import ClockDep, rolled_back, run_in_read_session, run_in_write_session
from zhili.core.idempotency import fingerprint
from zhili.org import grid_import
from zhili.org.geometry import areal_from_geojson
from zhili.org.models import Division
from zhili.org.permissions import require_manager
from zhili.org.schemas import GridImportRead
from zhili.web.form_once import FormOnce, run_form
from zhili.web.i18n import translate
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)

PATH = "/org/grids/import"
FIELD = re.compile(r"features\[(\d+)\]\.(.+)")
"""A problem's field inside a feature: its place in the file (from 0) and the member."""
MEMBERS = frozenset({"properties", "properties.village_code", "properties.name", "properties.code", "geometry"})
FILE_FIELDS = frozenset({"file", "type", "features", "body"})
KINDS = frozenset({
    "too_big", "required", "json", "collection", "no_features", "properties", "village_code", "name", "code",
    "geometry_unreadable", "geometry_type", "geometry_invalid", "geometry_range", "overlap", "duplicate_code",
    "unknown_village", "outside_county", "overlaps_stored", "no_free_number", "village_hidden", "village_not_managed",
})  # fmt: skip
"""The problems named by their message (`grid_import.error.<kind>`); any other says only where it is."""
VALIDITY = {
    "Self-intersection": "self_intersection",
    "Ring Self-intersection": "ring_self_intersection",
    "Too few points": "too_few_points",
    "Hole lies outside shell": "hole_outside",
    "Nested holes": "nested_holes",
    "Interior is disconnected": "interior_disconnected",
    "Nested shells": "nested_shells",
    "Duplicate Rings": "duplicate_rings",
    "Invalid Coordinate": "invalid_coordinate",
    "Ring is not closed": "not_closed",
}
"""What GEOS says is wrong with a polygon → `grid_import.validity.<key>`; others are shown as GEOS says them."""
GEOMETRY_TYPES = frozenset({"Point", "MultiPoint", "LineString", "MultiLineString", "LinearRing", "GeometryCollection"})
"""The shapes a grid cannot be, named in the page's language (`grid_import.type.<type>`)."""
MAP_GRIDS = 500
"""The most grids drawn on the result's map (a page, not the whole county's map)."""
MAP_TOLERANCE = 0.00005
"""Polygons are simplified to about 5 m for the result's map: the shape is seen, the page stays light."""
SHOWN = frozenset({403, 404, 413, 422})


@dataclass(frozen=True)
class ShownProblem:
    """A problem as the page says it: where (the feature and field) and what, in the page's language."""

    feature: int | None
    where: str
    field: str
    text: str


def _said(key: str, language: str, params: Mapping[str, object]) -> str:
    return translate(key, language).format_map({k: str(v) for k, v in params.items()})


def shown_problem(error: Mapping[str, Any], language: str) -> ShownProblem:
    """One entry of a refusal's `errors` worded for the page: `第 3 个要素 · 边界（geometry）` and its reason."""
    field = str(error.get("field") or "file")
    kind = str(error.get("kind") or "")
    params = dict(error.get("params") or {})
    found = FIELD.fullmatch(field)
    feature = int(found.group(1)) + 1 if found else None
    member = found.group(2) if found else field
    parts = []
    if feature is not None:
        name = params.get("feature_name")
        key = "grid_import.feature_named" if name else "grid_import.feature"
        parts.append(_said(key, language, {"n": feature, "name": name or ""}))
    if member in MEMBERS or member in FILE_FIELDS:
        parts.append(translate(f"grid_import.field.{member}", language))
    where = " · ".join(parts) or field
    if kind == "geometry_invalid":
        reason = str(params.get("reason", ""))
        said = VALIDITY.get(reason)
        params["reason"] = translate(f"grid_import.validity.{said}", language) if said else reason
        params["at"] = _said("grid_import.validity.at", language, params) if params.get("at") else ""
    if kind == "geometry_type" and params.get("type") in GEOMETRY_TYPES:
        params["type"] = translate(f"grid_import.type.{params['type']}", language)
    if kind == "too_big":
        params.setdefault("limit", grid_import.MAX_FILE_BYTES // (1024 * 1024))
    if kind in KINDS:
        text = _said(f"grid_import.error.{kind}", language, params)
    else:
        # The service's own words are English: said on the English page only, never as a raw line on the Chinese one.
        said = f" ({error.get('message')})" if error.get("message") and language == "en" else ""
        text = translate("grid_import.error.other", language) + said
    return ShownProblem(feature, where, field, text)


@router.get(PATH)
def import_page(request: Request, actor: PageActor) -> Response:
    """The form: a GeoJSON file of grids, with how it is made."""
    require_manager(actor)
    return _page(request, actor, status_code=200)


@router.post(PATH)
async def import_file(request: Request, actor: PageActor, clock: ClockDep) -> Response:
    """Import the uploaded file (sent twice, imported once); the grids done, or the form with every problem."""
    require_manager(actor)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _refused(request, actor, InvalidInputError("choose a file", errors=[_error("file", "required")]), "")
    source = PurePath(upload.filename.replace("\\", "/")).name[:80] or "upload"
    data = await upload.read(grid_import.MAX_FILE_BYTES + 1)
    try:  # the file's own checks in the thread pool, never in the writer's queue
        grids = await run_in_threadpool(lambda: grid_import.read_grid_file(data, max_bytes=grid_import.MAX_FILE_BYTES))
    except (InvalidInputError, grid_import.FileTooLargeError) as exc:
        return _refused(request, actor, exc, source)
    said = FormOnce.of(form, PATH)
    digest = hashlib.sha256(data).hexdigest()
    once = (
        FormOnce(f"{said.key}:{digest[:16]}", fingerprint("POST", PATH, [said.content, source, digest]))
        if said
        else None
    )

    def attempt(session: Session) -> dict[str, Any] | DomainError:
        def act() -> dict[str, Any]:
            done = grid_import.import_features(session, grids, source=source, actor=actor, clock=clock)
            return done.model_dump(mode="json")

        try:
            found: dict[str, Any] = run_form(once, session, owner=actor.audit_name, now=clock.now(), action=act)
        except (InvalidInputError, NotFoundError, ForbiddenError) as exc:
            return rolled_back(session, exc)
        return found

    outcome = await run_in_write_session(request, attempt)
    if isinstance(outcome, DomainError):
        return _refused(request, actor, outcome, source)
    done = GridImportRead.model_validate(outcome)
    shapes = await run_in_read_session(request, lambda session: _shapes(session, done))
    return _page(request, actor, status_code=200, done=done, shapes=shapes)


def _error(field: str, kind: str) -> dict[str, str]:
    return {"field": field, "kind": kind, "message": kind}


def _refused(request: Request, actor: Actor, exc: DomainError, source: str) -> Response:
    if exc.status not in SHOWN:
        raise exc
    language = renderer(request).language(request)
    errors = exc.extra.get("errors") or [{"field": "file", "message": exc.detail}]
    problems = [shown_problem(e if isinstance(e, Mapping) else {"message": str(e)}, language) for e in errors]
    count = int(exc.extra.get("problem_count") or len(problems))
    return _page(request, actor, status_code=exc.status, problems=problems, problem_count=count, source=source)


def _shapes(session: Session, done: GridImportRead) -> str:
    """The imported grids' polygons as GeoJSON for the result's map (simplified, at most `MAP_GRIDS`).

    Their villages come first, as outlines (`"village": true`): the ground the grids divide, under them.
    """
    grids = (done.inserted + done.updated)[:MAP_GRIDS]
    villages = {g.village_code: g.village_name for g in grids}
    codes = [*villages, *(g.code for g in grids)]
    found = session.execute(select(Division.code, Division.geometry).where(Division.code.in_(codes)))
    stored: dict[str, Any] = {row.code: row.geometry for row in found}
    inserted = {g.code for g in done.inserted}
    outlines = [
        _feature(stored[code], {"name": name, "code": code, "village": True})
        for code, name in villages.items()
        if stored.get(code)
    ]
    features = [
        _feature(stored[grid.code], {"name": grid.name, "code": grid.code, "new": grid.code in inserted})
        for grid in grids
        if stored.get(grid.code)
    ]
    collection = {"type": "FeatureCollection", "features": outlines + features}
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":"))


def _feature(geometry: Any, properties: dict[str, object]) -> dict[str, Any]:
    shape = areal_from_geojson(geometry).simplify(MAP_TOLERANCE)
    return {"type": "Feature", "properties": properties, "geometry": mapping(shape)}


def _page(
    request: Request,
    actor: Actor,
    *,
    status_code: int,
    done: GridImportRead | None = None,
    shapes: str = "",
    problems: list[ShownProblem] | None = None,
    problem_count: int = 0,
    source: str = "",
) -> Response:
    context = {
        "actor": actor,
        "done": done,
        "shapes": shapes,
        "problems": problems or [],
        "problem_count": problem_count,
        "source": source,
        "max_mb": grid_import.MAX_FILE_BYTES // (1024 * 1024),
        "max_bytes": grid_import.MAX_FILE_BYTES,
    }
    return renderer(request).render(request, "org/grid_import.html", context, status_code=status_code)
