"""Open311 GeoReport v2 over HTTP (`/open311/v2`): thin handlers; every answer and error in the path's format.

Reads are public. A POST needs an `api_key` (form or query) and passes two token buckets first: one
per client address, one per key (`core.rate_limit`, per process). Errors under `/open311/` are answered
as GeoReport's errors list (`error_response`, installed by `create_app`), not as RFC 9457 problems.
"""

from __future__ import annotations

import time
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from zhili.core import media
from zhili.core.errors import DomainError, NotFoundError
from zhili.core.http import ClockDep, DbSession, run_in_read_session, run_in_write_session, services
from zhili.core.idempotency import fingerprint, run_once
from zhili.core.params import IdPath
from zhili.core.problems import http_error_status
from zhili.core.rate_limit import RateLimiter, app_limiter, check_client, per_minute
from zhili.core.settings import Settings
from zhili.matters.definition import MatterDefinition
from zhili.open311 import mapping, queries, service
from zhili.open311.formats import Format, Value, errors_document, format_of, render
from zhili.org.geo import request_locators
from zhili.web.i18n import translate

router = APIRouter(tags=["open311"], include_in_schema=False)
BASE = "/open311/v2"
MAX_FORM_FIELDS = 200
IdempotencyKey = Annotated[str | None, Header(max_length=200)]
# Statuses GeoReport clients meet as they are; any other refusal is a 400 ("cannot be done").
KEPT_STATUSES = frozenset({403, 404, 405, 413, 415, 429, 503})


# ---- formats and errors ------------------------------------------------------------------------------


def _format(fmt: str) -> Format:
    try:
        return Format(fmt)
    except ValueError:
        message = f"unknown format {fmt!r}: use .xml or .json"
        raise NotFoundError(message) from None


def _answer(document: Value, *, root: str, fmt: Format, status: int = 200) -> Response:
    return Response(render(document, root=root, fmt=fmt), status_code=status, media_type=fmt.media_type)


def _language(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "zh"


def _base_url(request: Request) -> str:
    return services(request).settings.public_url.rstrip("/")


def _public_channels(settings: Settings) -> tuple[str, ...]:
    return tuple(channel.strip() for channel in settings.open311_public_channels.split(",") if channel.strip())


async def error_response(request: Request, exc: Exception) -> Response:
    """Any refusal under `/open311/` as GeoReport's `<errors>` / `[{"code", "description"}]`, in the path's format."""
    status, descriptions, headers = _describe(exc)
    fmt = format_of(request.url.path)
    response = _answer(errors_document(status, descriptions), root="errors", fmt=fmt, status=status)
    response.headers.update(headers)
    return response


def _describe(exc: Exception) -> tuple[int, list[str], dict[str, str]]:
    headers: dict[str, str] = {}
    if isinstance(exc, DomainError):
        status = exc.status
        errors = exc.extra.get("errors")
        descriptions = mapping.intake_errors(errors) if errors else [exc.detail]
        if "retry_after" in exc.extra:
            headers["Retry-After"] = str(exc.extra["retry_after"])
    elif isinstance(exc, RequestValidationError):
        status = HTTPStatus.BAD_REQUEST
        descriptions = [f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg', '')}" for e in exc.errors()]
    elif isinstance(exc, StarletteHTTPException):
        status = http_error_status(exc)
        descriptions = [str(exc.detail)]
        headers.update(exc.headers or {})
    else:
        status, descriptions = HTTPStatus.INTERNAL_SERVER_ERROR, ["internal error"]
    if status == HTTPStatus.UNAUTHORIZED:
        status = HTTPStatus.FORBIDDEN
    elif status not in KEPT_STATUSES and status < HTTPStatus.INTERNAL_SERVER_ERROR:
        status = HTTPStatus.BAD_REQUEST
    return int(status), descriptions, headers


# ---- discovery and services ---------------------------------------------------------------------------


def address_limiter(request: Request) -> RateLimiter:
    """The intake's bucket per client address (`ZHILI_OPEN311_ADDRESS_*`, per process)."""
    settings = services(request).settings
    rate, burst = per_minute(settings.open311_address_per_minute), settings.open311_address_burst
    return app_limiter(request.app.state, "open311-address", rate=rate, burst=burst)


def key_limiter(request: Request) -> RateLimiter:
    """The intake's bucket per API key (`ZHILI_OPEN311_KEY_*`, per process)."""
    settings = services(request).settings
    rate, burst = per_minute(settings.open311_key_per_minute), settings.open311_key_burst
    return app_limiter(request.app.state, "open311-key", rate=rate, burst=burst)


def reads_limit(request: Request) -> None:
    """Count a public read per client address: the address's intake bucket (429 in the Open311 format)."""
    check_client(address_limiter(request), request.client)


@router.get("/open311/discovery.{fmt}", dependencies=[Depends(reads_limit)])
@router.get(BASE + "/discovery.{fmt}", dependencies=[Depends(reads_limit)])
def discovery(fmt: str, request: Request, session: DbSession) -> Response:
    """Where the v2 endpoint is, its formats and whom to ask for a key."""
    settings = services(request).settings
    document = mapping.discovery(
        base_url=_base_url(request),
        changeset=queries.changeset(session),
        contact=settings.open311_contact,
        production=settings.environment == "production",
    )
    return _answer(document, root="discovery", fmt=_format(fmt))


@router.get(BASE + "/services.{fmt}", dependencies=[Depends(reads_limit)])
def list_services(fmt: str, request: Request, session: DbSession) -> Response:
    """The current matters of the catalog as services."""
    language = _language(request)
    document = [
        mapping.service(
            found.definition, group=found.group_en if language == "en" else found.group_zh, language=language
        )
        for found in queries.services(session)
    ]
    return _answer(document, root="services", fmt=_format(fmt))


@router.get(BASE + "/services/{service_code}.{fmt}", dependencies=[Depends(reads_limit)])
@router.get(BASE + "/service/{service_code}.{fmt}", dependencies=[Depends(reads_limit)])
def service_definition(service_code: str, fmt: str, request: Request, session: DbSession) -> Response:
    """A service's definition: the matter's intake attributes; 404 for an unknown code."""
    chosen = _format(fmt)
    definition = queries.definition(session, service_code)
    return _answer(
        mapping.service_definition(definition, language=_language(request)), root="service_definition", fmt=chosen
    )


# ---- requests -----------------------------------------------------------------------------------------


@router.get(BASE + "/requests.{fmt}", dependencies=[Depends(reads_limit)])
def list_requests(fmt: str, request: Request, session: DbSession, clock: ClockDep) -> Response:
    """Public requests: the filters of GeoReport v2 (at most 90 days) and `page`, `page_size`, `extensions`."""
    chosen = _format(fmt)
    where = mapping.parse_filter(dict(request.query_params), now=clock.now())
    settings = services(request).settings
    rows = queries.requests(session, where, channels=_public_channels(settings))
    return _answer(_requests(request, rows, extensions=where.extensions), root="service_requests", fmt=chosen)


@router.get(BASE + "/requests/{service_request_id}.{fmt}", dependencies=[Depends(reads_limit)])
@router.get(BASE + "/request/{service_request_id}.{fmt}", dependencies=[Depends(reads_limit)])
def get_request(service_request_id: str, fmt: str, request: Request, session: DbSession) -> Response:
    """One request, as a one-element list; 404 when there is none."""
    chosen = _format(fmt)
    extensions = (request.query_params.get("extensions") or "").lower() in {"true", "1"}
    settings = services(request).settings
    row = queries.request(session, service_request_id, channels=_public_channels(settings), extensions=extensions)
    return _answer(_requests(request, [row], extensions=extensions), root="service_requests", fmt=chosen)


def _requests(request: Request, rows: list[mapping.RequestRow], *, extensions: bool) -> list[Value]:
    language, base_url = _language(request), _base_url(request)
    return [
        mapping.request_document(
            row,
            base_url=base_url,
            status_label=translate(f"status.{row.status}", language),
            language=language,
            extensions=extensions,
        )
        for row in rows
    ]


@router.get(BASE + "/tokens/{token}.{fmt}", dependencies=[Depends(reads_limit)])
def get_token(token: str, fmt: str) -> Response:
    """Tokens are never issued (a POST answers with the request's id), so every token is unknown: 404."""
    _format(fmt)
    message = f"token {token} not found: this server answers a POST with service_request_id and issues no tokens"
    raise NotFoundError(message)


@router.get(BASE + "/media/{photo_id}", dependencies=[Depends(reads_limit)])
def get_media(photo_id: IdPath, request: Request, session: DbSession) -> Response:
    """A photo a client sent with a public request (its `media_url`)."""
    photo = queries.public_photo(session, photo_id, channels=_public_channels(services(request).settings))
    return media.photo_response(photo.data, photo.content_type)


# ---- a report -----------------------------------------------------------------------------------------


@router.post(BASE + "/requests.{fmt}")
async def post_request(fmt: str, request: Request, clock: ClockDep, idempotency_key: IdempotencyKey = None) -> Response:
    """A report: a case of the service's matter at the place given, its photo from a `media` file part."""
    chosen = _format(fmt)
    check_client(address_limiter(request), request.client)
    form = await request.form(max_files=1, max_fields=MAX_FORM_FIELDS)
    fields: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(name, []).append(value)
    upload = form.get("media")
    taken = await media.read_upload(upload) if isinstance(upload, UploadFile) else b""
    settings = services(request).settings
    key = (fields.get("api_key") or [""])[0] or request.query_params.get("api_key")
    secret = settings.secret_key.get_secret_value()

    def check(session: Session) -> tuple[service.ClientRef, mapping.Report, MatterDefinition, dict[str, Any]]:
        # In GeoReport's order: the key (403), the fields (400), the service (404), its attributes (400).
        client = service.client_for_key(session, key, secret=secret)
        given = mapping.read_report(fields)
        definition = queries.definition(session, given.service_code)
        return client, given, definition, mapping.read_attributes(fields, definition)

    client, given, definition, attributes = await run_in_read_session(request, check)
    key_limiter(request).check(str(client.id), time.monotonic(), what="API key")
    photo = media.check_photo(taken) if taken else None  # decoded before the write's transaction
    locators = request_locators(request)
    said = {**given.fields, "media": photo.sha256 if photo else None}

    def write(session: Session) -> tuple[int, Any]:
        def act() -> tuple[int, Any]:
            case = service.report(
                session,
                given=given,
                definition=definition,
                attributes=attributes,
                photo=photo,
                client=client,
                clock=clock,
                locators=locators,
                jurisdiction=settings.jurisdiction,
            )
            notice = f"已收到，办件编号 {case.number}"
            return HTTPStatus.CREATED, [
                {"service_request_id": case.number, "service_notice": notice, "account_id": None}
            ]

        if idempotency_key is None:
            return act()
        stored = run_once(
            session,
            owner=service.client_actor(client).audit_name,
            key=idempotency_key,
            request_fingerprint=fingerprint("POST", BASE + "/requests", said),
            now=clock.now(),
            action=act,
        )
        return stored.status_code, stored.body

    status, document = await run_in_write_session(request, write)
    return _answer(document, root="service_requests", fmt=chosen, status=status)
