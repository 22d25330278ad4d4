"""The model editor (`/admin/assessment`), for administrators: weights, points, the rating scale, from a month on.

Saving stores a new version in force from the chosen month; a refused form comes back with its
input and each error beside its field (422). Closed months keep their frozen scores.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhili.assessment import versions
from zhili.assessment.period import Month
from zhili.core.auth import Actor, PageActor
from zhili.core.clock import Clock
from zhili.core.errors import InvalidInputError
from zhili.core.http import ClockDep, DbSession
from zhili.web.i18n import translate
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)
WHAT = "change the assessment model"


@router.get("/admin/assessment")
def model_page(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """The model in force this month, its versions, and the form that saves a new version."""
    actor.require_admin(WHAT)
    return _page(request, session, actor, clock, {}, {})


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    clock: Clock,
    form: dict[str, str],
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> Response:
    now = clock.now()
    current = versions.for_month(session, Month.of(now), now=now)
    context = {
        "actor": actor,
        "version": current,
        "model": current.model,
        "versions": versions.history(session, now=now),
        "next_month": str(Month.of(now).next()),
        "first_month": versions.FIRST_MONTH,
        "form": form,
        "errors": errors,
        "saved": request.query_params.get("saved"),
    }
    return renderer(request).render(request, "assessment/model.html", context, status_code=status_code)


@router.post("/admin/assessment")
async def save_model_form(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Save the form as a new version; refused: the form again with each error by its field."""
    actor.require_admin(WHAT)
    form = {key: str(value) for key, value in (await request.form()).items() if key != "csrf_token"}
    language = renderer(request).language(request)
    errors = await run_in_threadpool(_save, session, actor, clock, form, language)
    if errors:
        return await run_in_threadpool(_page, request, session, actor, clock, form, errors, status_code=422)
    return RedirectResponse("/admin/assessment?saved=1", status_code=303)


def _save(session: Session, actor: Actor, clock: Clock, form: dict[str, str], language: str) -> dict[str, str]:
    now = clock.now()
    values: dict[str, Any] = versions.for_month(session, Month.of(now), now=now).model.model_dump(mode="json")
    errors: dict[str, str] = {}
    inputs = _apply(values, form, errors)
    if not form.get("note", "").strip():
        errors["note"] = "form.error.required"
    if errors:
        return {name: translate(key, language) for name, key in errors.items()}
    try:
        versions.save(
            session,
            actor=actor,
            clock=clock,
            values=values,
            effective_from=form.get("effective_from", ""),
            note=form["note"],
        )
    except InvalidInputError as refused:
        session.rollback()
        return _by_input(refused, inputs, language)
    return {}


def _apply(values: dict[str, Any], form: dict[str, str], errors: dict[str, str]) -> dict[str, str]:
    """Put the form's numbers into the model's values; the body path → input name of each field."""
    inputs: dict[str, str] = {"rating_scale": "rating_scale", "effective_from": "effective_from"}
    fields = [
        (f"indicators.{index}.{field}", f"{field}.{indicator['key']}", indicator, field)
        for index, indicator in enumerate(values["indicators"])
        for field in ("weight", "points")
    ]
    fields += [
        (f"penalties.{index}.points", f"penalty.{penalty['subject']}.{penalty['action']}", penalty, "points")
        for index, penalty in enumerate(values["penalties"])
    ]
    fields.append(("rating_scale", "rating_scale", values, "rating_scale"))
    for path, name, target, field in fields:
        inputs[path] = name
        if name in form:
            target[field] = _number(form[name], name, errors)
    return inputs


def _by_input(refused: InvalidInputError, inputs: dict[str, str], language: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for error in refused.extra.get("errors", []):
        field, message = str(error["field"]), str(error["message"])
        name = next((inputs[p] for p in sorted(inputs, key=len, reverse=True) if field.startswith(p)), "note")
        if name == "effective_from":  # a month of the wrong form, or one already closed: said in either language
            closed = message.removeprefix("after ")
            key = "assessment.error.closed_month" if closed != message else "assessment.error.month"
            found[name] = translate(key, language).format(month=closed)
        else:
            found[name] = message if language == "en" else translate("form.error.range", language)
    return found or {"note": refused.detail}


def _number(text: str, name: str, errors: dict[str, str]) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        errors[name] = "form.error.number"
        return None
