"""Errors on pages: HTML for people, problem+json for the API, a login redirect when needed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from zhili.core import problems
from zhili.core.errors import DomainError, InvalidInputError
from zhili.web.i18n import LANGUAGES
from zhili.web.templating import renderer

log = structlog.get_logger("zhili.errors")

API_PREFIXES = ("/api/", "/healthz", "/readyz", "/openapi.json", "/open311/")


def wants_problem(request: Request) -> bool:
    """API paths and JSON clients get problem details; browsers get pages."""
    return request.url.path.startswith(API_PREFIXES) or "text/html" not in request.headers.get("accept", "")


def install_error_handlers(
    app: FastAPI,
    *,
    login_required: type[DomainError],
    own_formats: Mapping[str, Handler] | None = None,
    who: Who | None = None,
) -> None:
    """Problem details for the API, HTML pages (or a login redirect) for the browser.

    `own_formats` maps a path prefix to the handler of an API whose clients expect errors of its own
    shape (Open311's `<errors>`): every refusal under that prefix is answered by it instead. `who` finds
    the logged-in person of a request that failed before any page resolved them (an address that is no
    page: a 404 from the router), so their error page keeps their menu rather than the public one.
    """
    problems.install_problem_handlers(app)
    api_handlers: dict[type[Exception], Handler] = {
        DomainError: problems.on_domain_error,
        RequestValidationError: problems.on_validation_error,
        StarletteHTTPException: problems.on_http_error,
    }
    for kind, api_handler in api_handlers.items():
        app.add_exception_handler(kind, _dual(api_handler, login_required, dict(own_formats or {}), who))
    app.add_exception_handler(OperationalError, _on_database_busy)
    app.add_exception_handler(DataError, _on_bad_data)


Handler = Callable[[Request, Exception], Awaitable[Response]]
Who = Callable[[Request], Awaitable[object | None]]


def _dual(
    api_handler: Handler, login_required: type[DomainError], own_formats: dict[str, Handler], who: Who | None
) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        for prefix, own_handler in own_formats.items():
            if request.url.path.startswith(prefix):
                return await own_handler(request, exc)
        if wants_problem(request):
            return await api_handler(request, exc)
        if isinstance(exc, login_required):
            target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
            asked = request.query_params.get("lang")  # /?lang=en leads to the login page in English
            lang = f"&lang={asked}" if asked in LANGUAGES else ""
            return RedirectResponse(f"/login?next={target}{lang}", status_code=303)
        if (page := _page_of_action(request, exc)) is not None:
            return RedirectResponse(page, status_code=303)
        status, title, detail = _describe(exc)
        retry_after = exc.extra.get("retry_after") if isinstance(exc, DomainError) else None
        context = {
            "status": status,
            "title": title,
            "detail": detail,
            "message_key": exc.message_key if isinstance(exc, DomainError) else None,
            "actor": getattr(request.state, "actor", None) or (await who(request) if who else None),
            "back": _same_site_referer(request),
            "retry_after": retry_after,
            # A form slowed down was not taken: say so, and that going back keeps what was typed.
            "unsent": retry_after is not None and request.method not in {"GET", "HEAD"},
            # A link's parameter the page does not take (?todo=zzz): named, in place of the library's words.
            "bad_params": _query_params(exc, request) if request.method in {"GET", "HEAD"} else [],
        }
        response = renderer(request).render(request, "web/error.html", context, status_code=status)
        if retry_after is not None:  # a 429 that knows when to come back
            response.headers["Retry-After"] = str(retry_after)
        return response

    return handle


def _page_of_action(request: Request, exc: Exception) -> str | None:
    """The page a form's action belongs to, for a GET of that action: a reload after a refused form.

    A refused form is answered at its action's address (`/tasks/12/decline`); reloading it there, or opening a
    link to it, asks for the address with GET, which only the page it belongs to (`/tasks/12`) answers.
    """
    if not (isinstance(exc, StarletteHTTPException) and exc.status_code == 405 and request.method == "GET"):  # noqa: PLR2004
        return None
    page = request.url.path.rstrip("/").rsplit("/", 1)[0]
    scope = {**request.scope, "path": page, "method": "GET"}
    if page and any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
        return page
    return None


def _same_site_referer(request: Request) -> str | None:
    """The page the user came from, when it is one of ours: the error page offers the way back."""
    referer = request.headers.get("referer", "")
    origin = f"{request.url.scheme}://{request.url.netloc}/"
    return referer if referer.startswith(origin) else None


def _describe(exc: Exception) -> tuple[int, str, str]:
    if isinstance(exc, DomainError):
        return exc.status, exc.title, exc.detail
    if _path_not_parsed(exc):  # /alerts/rules: a page address that names nothing is not found
        return 404, "Not Found", "Not Found"
    if isinstance(exc, StarletteHTTPException):
        return problems.http_error_status(exc), str(exc.detail), str(exc.detail)
    return 422, "Invalid input", "; ".join(str(e.get("msg")) for e in getattr(exc, "errors", list)())


def _query_params(exc: Exception, request: Request) -> list[str]:
    """The address's query parameters a page refused, when every error is one of them (or a read's refusal names)."""
    if isinstance(exc, InvalidInputError) and not exc.message_key:  # ?level=county: a read refused by the service
        named = {str(e["field"]) for e in exc.extra.get("errors") or [] if e.get("field")}
        return sorted(named & set(request.query_params)) if named <= set(request.query_params) else []
    if not isinstance(exc, RequestValidationError):
        return []
    locations = [tuple(error.get("loc", ())) for error in exc.errors()]
    if not locations or any(loc[:1] != ("query",) or len(loc) < 2 for loc in locations):  # noqa: PLR2004
        return []
    return sorted({str(loc[1]) for loc in locations})


def _path_not_parsed(exc: Exception) -> bool:
    """A page's path parameter that does not parse (`/cases/abc`): every error sits in the path."""
    if not isinstance(exc, RequestValidationError):
        return False
    errors = exc.errors()
    return bool(errors) and all(tuple(error.get("loc", ()))[:1] == ("path",) for error in errors)


async def _on_bad_data(request: Request, exc: Exception) -> Response:
    log.warning("database refused a value", path=request.url.path, error=str(exc)[:200])
    return problems.problem_response(
        422, "Invalid input", "a value was not acceptable to the database", slug="invalid-input"
    )


async def _on_database_busy(request: Request, exc: Exception) -> Response:
    log.warning("database busy", path=request.url.path, error=str(exc)[:200])
    response = problems.problem_response(
        503, "Service busy", "the database is busy; retry in a moment", slug="service-busy"
    )
    response.headers["Retry-After"] = "1"
    return response
