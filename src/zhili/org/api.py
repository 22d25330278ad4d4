"""The organisation API under /api/v1/org: thin handlers over queries and services."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhili.core.auth import CurrentActor
from zhili.core.http import ClockDep, DbSession, read_declared_body, run_in_write_session
from zhili.core.idempotency import respond_once
from zhili.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, CursorQuery, Page
from zhili.core.params import IdPath, IdQuery
from zhili.org import geo, grid_import, links, permissions, places, queries, service
from zhili.org.division_code import PATTERN
from zhili.org.schemas import (
    DepartmentGridRead,
    DepartmentKindRead,
    DepartmentRead,
    DivisionRead,
    DivisionRef,
    EnforcementItemRead,
    GridContactRead,
    GridContactSet,
    GridImportRead,
    LocateRead,
    PersonCreate,
    PersonRead,
    PersonUpdate,
    PlaceMatch,
    PositionCreate,
    PositionMove,
    ZoneRead,
)

router = APIRouter(prefix="/api/v1/org", tags=["organisation"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Code = Annotated[str, Query(pattern=PATTERN, description="a division code")]


@router.get("/divisions")
def search_divisions(
    session: DbSession,
    actor: CurrentActor,
    q: Annotated[str | None, Query(max_length=60)] = None,
    level: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> list[DivisionRef]:
    """Search divisions by name or code prefix; without `q`, the roots of your scope."""
    if not q:
        return queries.scope_roots(session, actor)
    return queries.search_divisions(session, actor, text=q, level=level, limit=limit)


@router.get("/divisions/{code}")
def get_division(code: str, session: DbSession, actor: CurrentActor) -> DivisionRead:
    """One division with its ancestors."""
    return queries.get_division(session, actor, code)


@router.get("/divisions/{code}/children")
def list_children(
    code: str,
    session: DbSession,
    actor: CurrentActor,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[DivisionRef]:
    """The subdivisions of a division, a page at a time."""
    return queries.list_children(session, actor, code, cursor=cursor, limit=limit)


@router.get("/divisions/{code}/contacts")
def grid_contacts(code: str, session: DbSession, actor: CurrentActor) -> list[GridContactRead]:
    """Contact officers that departments have named for a grid."""
    return links.grid_contacts(session, actor, code)


@router.put("/divisions/{code}/contacts", status_code=204)
def set_grid_contact(code: str, body: GridContactSet, session: DbSession, actor: CurrentActor, clock: ClockDep) -> None:
    """Name a department's contact officer for a grid (两网融合)."""
    service.set_grid_contact(session, grid_code=code, data=body, actor=actor, clock=clock)


@router.get("/places")
def resolve_place(
    q: Annotated[str, Query(min_length=1, max_length=60)], session: DbSession, actor: CurrentActor
) -> list[PlaceMatch]:
    """Resolve a place name such as 龙游县湖镇镇 to divisions, best match first."""
    return places.resolve_place(session, actor, q)


@router.get("/locate")
def locate(lon: float, lat: float, request: Request, session: DbSession, actor: CurrentActor) -> LocateRead:
    """The grid, village, township and county of a point (WGS-84 lon/lat)."""
    return geo.locate_point(session, actor, geo.request_locators(request), lon=lon, lat=lat)


@router.get("/geo")
def geojson(session: DbSession, actor: CurrentActor, level: str = "county", bbox: str | None = None) -> Any:
    """Division polygons of one level as GeoJSON, for the map; `bbox` = minLon,minLat,maxLon,maxLat."""
    return geo.division_features(session, actor, level=level, bbox=geo.parse_bbox(bbox))


@router.get("/departments")
def list_departments(
    session: DbSession, actor: CurrentActor, division: Code | None = None, kind: str | None = None
) -> list[DepartmentRead]:
    """Departments in your scope, optionally of one division and kind."""
    return queries.list_departments(session, actor, division_code=division, kind=kind)


@router.get("/departments/{department_id}")
def get_department(department_id: IdPath, session: DbSession, actor: CurrentActor) -> DepartmentRead:
    """One department."""
    return queries.get_department(session, actor, department_id)


@router.get("/departments/{department_id}/grids")
def department_grids(department_id: IdPath, session: DbSession, actor: CurrentActor) -> list[DepartmentGridRead]:
    """The department's own grids and the community grids each covers (两网融合)."""
    return links.department_grids(session, actor, department_id)


@router.get("/people")
def list_people(
    session: DbSession,
    actor: CurrentActor,
    division: Code | None = None,
    department: IdQuery | None = None,
    role: str | None = None,
    q: Annotated[str | None, Query(max_length=60)] = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[PersonRead]:
    """People holding posts in your scope, with filters, a page at a time."""
    return queries.list_people(
        session, actor, division_code=division, department_id=department, role=role, text=q, cursor=cursor, limit=limit
    )


@router.get("/people/{person_id}")
def get_person(person_id: IdPath, session: DbSession, actor: CurrentActor) -> PersonRead:
    """One person with the posts of theirs you may see."""
    return queries.get_person(session, actor, person_id)


IdempotencyKey = Annotated[str | None, Header(max_length=200, description="makes a retried create safe")]


@router.post("/people", status_code=201, response_model=PersonRead)
def add_person(
    body: PersonCreate, session: DbSession, actor: CurrentActor, clock: ClockDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Register a person with a first post; send Idempotency-Key to make retries safe."""
    return respond_once(
        session,
        owner=actor.audit_name,
        key=idempotency_key,
        request=("POST", "/api/v1/org/people", body.model_dump(mode="json")),
        now=clock.now(),
        create=lambda: service.add_person(session, data=body, actor=actor, clock=clock),
    )


@router.post("/people/{person_id}/positions", status_code=201, response_model=PersonRead)
def add_position(
    person_id: IdPath,
    body: PositionCreate,
    session: DbSession,
    actor: CurrentActor,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Give a person another post (a grid worker who is also a party member holds two)."""
    return respond_once(
        session,
        owner=actor.audit_name,
        key=idempotency_key,
        request=("POST", f"/api/v1/org/people/{person_id}/positions", body.model_dump(mode="json")),
        now=clock.now(),
        create=lambda: service.add_position(session, person_id=person_id, data=body, actor=actor, clock=clock),
    )


@router.patch("/people/{person_id}")
def update_person(
    person_id: IdPath, body: PersonUpdate, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> PersonRead:
    """Change a person's name or contact details."""
    return service.update_person(session, person_id=person_id, data=body, actor=actor, clock=clock)


@router.patch("/positions/{position_id}")
def move_position(
    position_id: IdPath, body: PositionMove, session: DbSession, actor: CurrentActor, clock: ClockDep
) -> PersonRead:
    """Move a post to another unit, or to another place of its level (调动); answers the person."""
    return service.move_position(session, position_id=position_id, data=body, actor=actor, clock=clock)


@router.get("/zones")
def list_zones(session: DbSession, actor: CurrentActor) -> list[ZoneRead]:
    """1+X zones led from inside your scope."""
    return links.list_zones(session, actor)


@router.get("/enforcement-items")
def list_enforcement_items(
    session: DbSession, _actor: CurrentActor, kind: str | None = None
) -> list[EnforcementItemRead]:
    """The enforcement register and the level that exercises each item."""
    return links.enforcement_items(session, kind=kind)


@router.get("/enforcement-items/{code}/unit")
def exercising_unit(code: str, division: Code, session: DbSession, actor: CurrentActor) -> DepartmentRead:
    """Which unit exercises this enforcement item at a place (delegated items: the township team)."""
    return links.exercising_unit(session, actor, item_code=code, division_code=division)


@router.get("/department-kinds")
def list_department_kinds(session: DbSession, _actor: CurrentActor) -> list[DepartmentKindRead]:
    """The catalog of department kinds (条) with the levels they exist at."""
    return links.department_kinds(session)


GEOJSON_TYPES = ("application/geo+json", "application/json")
GEOJSON_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            kind: {"schema": {"type": "object", "description": "a GeoJSON FeatureCollection of grids"}}
            for kind in GEOJSON_TYPES
        },
    }
}


async def _grid_file(request: Request, actor: CurrentActor, content_type: Annotated[str, Header()] = "") -> bytes:
    """The body of a manager (403 first), declared as GeoJSON (415), read up to `MAX_FILE_BYTES` (413)."""
    permissions.require_manager(actor)
    return await read_declared_body(
        request,
        content_type,
        media_types=GEOJSON_TYPES,
        what="the FeatureCollection (split a large one by township)",
        limit=grid_import.MAX_FILE_BYTES,
        too_large=grid_import.FileTooLargeError,
    )


GridFile = Annotated[bytes, Depends(_grid_file)]
Source = Annotated[
    str,
    Query(
        min_length=1,
        max_length=80,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="the file's name, kept as the grids' source",
    ),
]


@router.post("/grids/import", response_model=GridImportRead, openapi_extra=GEOJSON_BODY)
async def import_grids(
    request: Request,
    actor: CurrentActor,
    data: GridFile,
    clock: ClockDep,
    source: Source = "api",
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Import grid boundaries from a GeoJSON FeatureCollection: all or nothing, each problem named by its feature.

    New grids are inserted, grids whose `code` is given are redrawn; the answer names both. Managers
    only, for the villages they manage (404 for one you cannot see, 403 for one you see but do not
    manage); at most 5 MiB (413). Send Idempotency-Key to make a retry safe.
    """
    grids = await run_in_threadpool(grid_import.read_grid_file, data)  # the file's own checks, outside the writer

    def answer(session: Session) -> JSONResponse:
        return respond_once(
            session,
            owner=actor.audit_name,
            key=idempotency_key,
            request=("POST", "/api/v1/org/grids/import", [source, hashlib.sha256(data).hexdigest()]),
            now=clock.now(),
            create=lambda: grid_import.import_features(session, grids, source=source, actor=actor, clock=clock),
            status_code=200,
        )

    return await run_in_write_session(request, answer)
