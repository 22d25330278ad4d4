"""RFC 9457 problem details: every error the HTTP API returns has this shape."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from zhili.core.errors import DomainError, error_path
from zhili.core.request_context import current_request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://zhili.example/problems/"


def problem_response(status: int, title: str, detail: str, *, slug: str, **extra: Any) -> JSONResponse:
    """Build a problem+json response; `extra` adds members such as `errors`."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "request_id": current_request_id(),
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == HTTPStatus.UNAUTHORIZED else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"field": error_path(error.get("loc", ()), error.get("ctx")), "message": error.get("msg", "")}
        for error in exc.errors()
    ]


async def on_domain_error(_request: Request, exc: Exception) -> JSONResponse:
    """A DomainError as its own status, title and detail."""
    assert isinstance(exc, DomainError)  # noqa: S101 - registered for DomainError only
    response = problem_response(exc.status, exc.title, exc.detail, slug=exc.type_slug, **exc.extra)
    if "retry_after" in exc.extra:  # a 429 that knows when to come back (`core.rate_limit`)
        response.headers["Retry-After"] = str(exc.extra["retry_after"])
    return response


async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """A request that does not match its schema: 422 naming each field."""
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this type only
    errors = _field_errors(exc)
    names = ", ".join(error["field"] for error in errors)
    return problem_response(422, "Invalid input", f"invalid fields: {names}", slug="invalid-input", errors=errors)


# The form parser refuses one field or file part over its limit (1 MiB) with 400; that is a body too large.
_PART_TOO_LARGE = ("Field exceeded maximum size", "Part exceeded maximum size")


def http_error_status(exc: StarletteHTTPException) -> int:
    """The status a framework error is answered with: its own, but 413 for a form part over the limit."""
    if exc.status_code == HTTPStatus.BAD_REQUEST and str(exc.detail).startswith(_PART_TOO_LARGE):
        return HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    return exc.status_code


async def on_http_error(_request: Request, exc: Exception) -> JSONResponse:
    """Routing and framework errors (404, 405 ...) as problems."""
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for this type only
    status = http_error_status(exc)
    title = "Payload too large" if status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE else HTTPStatus(status).phrase
    detail = exc.detail if isinstance(exc.detail, str) else title
    slug = title.lower().replace(" ", "-")
    response = problem_response(status, title, detail, slug=slug)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error the API can raise through problem details."""
    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
