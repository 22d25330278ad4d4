"""The public report form (我要反映, `/report`): a citizen reports a problem without a login and gets its link.

The form is the intake form (`cases/_intake_form.html`) in its public mode: the channel is 网页
(web), the phone is asked for (the centre calls back, 回访) and shown to nobody outside the case. Its
map reads Quzhou's outlines and names points through two public reads (`/report/geo`,
`/report/locate`) over the jurisdiction's geography only. With no session there is no session's
CSRF token: the form carries one that a cookie of its own must match (as the login form does). Every
POST is counted per client address by a token bucket (`core.rate_limit`) before its body is read.
The report, its photos and its tracking link are one transaction; the form acts once (`web.form_once`),
and sent twice it leads to the same link (`citizens.service.tracker_token`).
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from zhili.cases import forms, intake, location
from zhili.cases.intake_form import IntakeForm, take_report
from zhili.cases.schemas import CaseCreate, Point, PublicReport
from zhili.citizens import service
from zhili.core import media
from zhili.core.auth import Actor, Grant, Scope
from zhili.core.credentials import same_secret
from zhili.core.errors import InvalidInputError
from zhili.core.http import ClockDep, DbSession, services
from zhili.core.kept_photos import KeptPhoto
from zhili.core.rate_limit import app_limiter, check_client, per_minute
from zhili.core.settings import Settings
from zhili.matters import queries as matters
from zhili.org import geo
from zhili.org.geo import request_locators
from zhili.org.schemas import LocateRead
from zhili.web.form_errors import FirstReason, FormErrors
from zhili.web.form_once import FIELD as ONCE_FIELD
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)
CSRF_COOKIE = "zhili_report_csrf"


@lru_cache(maxsize=8)
def map_reader(jurisdiction: str) -> Actor:
    """Who reads the public map: the jurisdiction's geography (`ZHILI_JURISDICTION`), nothing else."""
    return Actor(
        username="web:public-map", display_name="网上群众", roles=frozenset(), scope=Scope.of([Grant(jurisdiction)])
    )


def _settings(request: Request) -> Settings:
    return services(request).settings


def reports_limit(request: Request) -> None:
    """Count a public report per client address (`ZHILI_PUBLIC_REPORT_*`): 429 with Retry-After past it."""
    settings = _settings(request)
    rate, burst = per_minute(settings.public_report_per_minute), settings.public_report_burst
    check_client(app_limiter(request.app.state, "public-report", rate=rate, burst=burst), request.client)


def reads_limit(request: Request) -> None:
    """Count a public read per client address (`ZHILI_PUBLIC_READ_*`): a page, the map, the tracking link."""
    settings = _settings(request)
    rate, burst = per_minute(settings.public_read_per_minute), settings.public_read_burst
    check_client(app_limiter(request.app.state, "public-read", rate=rate, burst=burst), request.client)


@router.get("/report", dependencies=[Depends(reads_limit)])
def report_form(
    request: Request,
    session: DbSession,
    matter: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{1,59}$")] = None,
) -> Response:
    """The public form; choosing a matter shows its attributes."""
    return report_page(request, session, matter=matter, values={}, errors=FormErrors())


def report_page(
    request: Request,
    session: Session,
    *,
    matter: str | None,
    values: dict[str, Any],
    errors: FormErrors,
    status_code: int = 200,
    kept_photos: list[KeptPhoto] | None = None,
) -> Response:
    """The form (again, with a refused form's input and reasons), with its CSRF token in its cookie.

    The token the cookie holds already is kept, so two tabs of the form both send.
    """
    definition = matters.current_definition(session, matter)[1] if matter else None
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    request.state.csrf_token = token  # the form's hidden csrf_token (`web.templating`)
    context = {
        "matters": matters.list_current(session),
        "definition": definition,
        "errors": errors,
        "values": values,
        "area": None,  # the picker opens on Quzhou
        "max_photos": intake.MAX_INTAKE_PHOTOS,
        "kept_photos": kept_photos or [],
        "first_reason": FirstReason(taken=not errors.by_field),
        "intake_action": "/report",
        "public": True,
        "geo_url": "/report/geo",
        "locate_url": "/report/locate",
    }
    response = renderer(request).render(request, "citizens/report.html", context, status_code=status_code)
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", max_age=4 * 3600)
    return response


@router.post("/report")
async def submit_report(request: Request, clock: ClockDep) -> Response:
    """Take the report: to its tracking link (saved by the citizen), or the form again with its reasons.

    Counted per client address before the body is read (429 with Retry-After past the limit). A form
    whose CSRF token does not match its cookie, or that carries no once-key, is shown again as it was,
    with a fresh token, to be sent once more.
    """
    reports_limit(request)
    settings = _settings(request)
    secret = settings.secret_key.get_secret_value()
    locators = request_locators(request)
    seed = ""

    def body(form: FormData, session: Session) -> dict[str, object]:
        """The report's body: always the web channel; a form that is not the page's own is refused as expired."""
        nonlocal seed
        expected, sent, once = request.cookies.get(CSRF_COOKIE, ""), form.get("csrf_token"), form.get(ONCE_FIELD)
        if not expected or not isinstance(sent, str) or not same_secret(expected, sent) or not isinstance(once, str):
            message = "the form expired; reload the page and send it again"
            raise InvalidInputError(message, errors=[{"field": "form", "message": message}])
        seed = once
        found = {**forms.case_from_form(form, session), "channel": "web"}
        return {name: value for name, value in found.items() if value is not None}

    def report(session: Session, data: CaseCreate, ready: list[media.CheckedPhoto]) -> int:
        return service.report(
            session,
            data=data,
            taken=ready,
            clock=clock,
            locators=locators,
            secret=secret,
            seed=seed,
            jurisdiction=settings.jurisdiction,
        )[0]

    def done(case_id: int) -> Response:
        token = service.tracker_token(case_id, seed, secret=secret)
        response = RedirectResponse(f"/track/{token}?new=1", status_code=303)
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def page(
        session: Session, matter: str | None, values: dict[str, object], errors: FormErrors, kept: list[KeptPhoto]
    ) -> Response:
        return report_page(
            request, session, matter=matter, values=values, errors=errors, status_code=422, kept_photos=kept
        )

    def locate(session: Session, point: Point | None, place: str | None) -> object:
        jurisdiction = settings.jurisdiction
        return location.resolve_within(session, locators, point=point, place=place, jurisdiction=jurisdiction)

    taking = IntakeForm(
        path="/report",
        owner="web:public",
        body=body,
        schema=PublicReport,
        report=report,
        done=done,
        page=page,
        locate=locate,
    )
    return await take_report(request, taking, clock)


@router.get("/report/locate", dependencies=[Depends(reads_limit)])
def locate(lon: float, lat: float, request: Request, session: DbSession) -> LocateRead:
    """The grid, village, township and county of a point in the jurisdiction (the form's map names the point)."""
    reader = map_reader(_settings(request).jurisdiction)
    return geo.locate_point(session, reader, geo.request_locators(request), lon=lon, lat=lat)


@router.get("/report/geo", dependencies=[Depends(reads_limit)])
def outlines(request: Request, session: DbSession, level: str = "township", bbox: str | None = None) -> Any:
    """The jurisdiction's division outlines of one level as GeoJSON, for the form's map."""
    reader = map_reader(_settings(request).jurisdiction)
    return geo.division_features(session, reader, level=level, bbox=geo.parse_bbox(bbox))
