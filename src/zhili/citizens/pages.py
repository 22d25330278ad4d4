"""The citizen's pages, no login: the tracking link (`/track/{token}`) and the rating given through it.

The link's token is the only credential: it is in the address (the page sends no referrer, so it
never leaves in a header) and a wrong one is a plain 404. No session, so no CSRF token: a forged
form would need the link, which is the secret itself. The rating form acts once (`web.form_once`)
and is refused by its fields, keeping what was typed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from zhili.citizens import service, views
from zhili.citizens.report_pages import reads_limit
from zhili.core.errors import DomainError, NotFoundError
from zhili.core.http import ClockDep, rolled_back, run_in_read_session, run_in_write_session, services
from zhili.web.form_errors import FormErrors, form_errors
from zhili.web.form_once import FormOnce, run_form
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(pattern=r"^zt_[A-Za-z0-9_-]{20,64}$")]
RATING_INPUTS = {"rating": "rating", "comment": "comment", "version": "rating"}


def _secret(request: Request) -> str:
    return services(request).settings.secret_key.get_secret_value()


def _page(
    request: Request, session: Session, token: str, *, values: dict[str, str], errors: FormErrors, status_code: int
) -> Response:
    view = views.tracked_view(session, service.tracked_case(session, token, secret=_secret(request)))
    context = {"view": view, "token": token, "values": values, "errors": errors, "fresh": "new" in request.query_params}
    response = renderer(request).render(request, "citizens/track.html", context, status_code=status_code)
    response.headers["Referrer-Policy"] = "no-referrer"  # the address is the credential
    return response


@router.get("/track/{token}", dependencies=[Depends(reads_limit)])
async def track(request: Request, token: Token) -> Response:
    """The report as its reporter follows it; once closed, the form that rates it."""
    return await run_in_read_session(
        request, lambda session: _page(request, session, token, values={}, errors=FormErrors(), status_code=200)
    )


@router.post("/track/{token}/rate", dependencies=[Depends(reads_limit)])
async def rate(request: Request, token: Token, clock: ClockDep) -> Response:
    """Rate the case (a dissatisfied rating says why and reopens it); back to the link, or the form with its reasons."""
    form = await request.form()
    given = _given(form)
    secret = _secret(request)

    def attempt(session: Session) -> ValidationError | DomainError | None:
        case = service.tracked_case(session, token, secret=secret)
        once = FormOnce.of(form, f"/track/{case.number}/rate")

        def act() -> int:
            return service.rate(session, case, given=given, clock=clock).id

        try:
            run_form(once, session, owner=service.tracker_actor(case).username, now=clock.now(), action=act)
        except NotFoundError:
            raise
        except (ValidationError, DomainError) as exc:  # a bad field; or the case moved on (rated by phone, reopened)
            return rolled_back(session, exc)
        return None

    refused = await run_in_write_session(request, attempt)
    if refused is None:
        return RedirectResponse(f"/track/{token}#rated", status_code=303)
    language = renderer(request).language(request)
    errors = form_errors(refused, language, RATING_INPUTS, choices={"rating"})
    status = 422 if isinstance(refused, ValidationError) else refused.status
    return await run_in_read_session(
        request, lambda session: _page(request, session, token, values=given, errors=errors, status_code=status)
    )


def _given(form: FormData) -> dict[str, str]:
    """The rating form; a comment left empty is no comment (asked for only when dissatisfied), not a blank one."""
    given = {name: value for name in ("rating", "comment", "version") if isinstance(value := form.get(name), str)}
    if not given.get("comment", "").strip():
        given.pop("comment", None)
    return given
