"""The detector configuration page (`/admin/detectors`), for administrators.

Each rule's threshold, run length and weight, the grade cut-offs and the grade that opens a case,
saved as a new version.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhili.core.auth import Actor, PageActor
from zhili.core.clock import Clock
from zhili.core.errors import InvalidInputError
from zhili.core.http import ClockDep, DbSession
from zhili.early_warning import detector_store
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)

RULE_FIELDS = ("threshold", "consecutive", "weight")
GRADE_FIELDS = ("yellow", "orange", "red")


@router.get("/admin/detectors")
def detectors_page(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """The detectors in force, their history, and the form that saves a new version."""
    actor.require_admin("change the early-warning detectors")
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
    version, config = detector_store.current(session, now=clock.now())
    session.commit()
    versions = detector_store.history(session)
    language = renderer(request).language(request)
    return renderer(request).render(
        request,
        "early_warning/detectors.html",
        {
            "actor": actor,
            "version": version,
            "config": config,
            "versions": versions,
            "notes": {v.id: _note(v.note, v.created_by, language) for v in versions},
            "form": form,
            "errors": errors,
            "saved": request.query_params.get("saved"),
        },
        status_code=status_code,
    )


@router.post("/admin/detectors")
async def save_from_form(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Save the form as a new version; a refused form comes back with its input and each error by its field."""
    actor.require_admin("change the early-warning detectors")
    form = {key: str(value) for key, value in (await request.form()).items() if key != "csrf_token"}
    errors = await run_in_threadpool(_save, session, actor, clock, form)
    if errors:
        return await run_in_threadpool(_page, request, session, actor, clock, form, errors, status_code=422)
    return RedirectResponse("/admin/detectors?saved=1", status_code=303)


def _note(note: str, created_by: str, language: str) -> str:
    """A version's note as the reader reads it: the system's and the demo's say both languages ("中文 / English")."""
    if created_by.startswith("account:") or " / " not in note:
        return note  # an administrator's words, as typed
    chinese, english = note.rsplit(" / ", 1)
    return english if language == "en" else chinese


def _save(session: Session, actor: Actor, clock: Clock, form: dict[str, str]) -> dict[str, str]:
    _version, config = detector_store.current(session, now=clock.now())
    values: dict[str, Any] = config.model_dump(mode="json")
    errors: dict[str, str] = {}
    for index, rule in enumerate(values["rules"]):
        for field in RULE_FIELDS:
            name = f"rules.{index}.{field}"
            if name in form:
                rule[field] = _number(form[name], name, errors)
    for field in GRADE_FIELDS:
        name = f"grades.{field}"
        if name in form:
            values["grades"][field] = _number(form[name], name, errors)
    if "cases_from" in form:
        values["cases_from"] = _number(form["cases_from"], "cases_from", errors)
    note = form.get("note", "").strip()
    if not note:
        errors["note"] = "form.error.required"
    return errors or _store(session, actor, clock, values, note)


def _store(session: Session, actor: Actor, clock: Clock, values: dict[str, Any], note: str) -> dict[str, str]:
    """Save the version; what the configuration's own rules refuse, by field (none when saved)."""
    try:
        detector_store.save(session, actor=actor, clock=clock, config=values, note=note)
    except InvalidInputError as exc:
        session.rollback()
        refused = {str(error["field"]): "form.error.range" for error in exc.extra.get("errors", [])}
        if "grades" in refused:  # the cut-offs' order, a rule over the three: said under them, not lost
            refused["grades"] = "detectors.error.grades_order"
        return refused or {"note": "form.error.format"}
    return {}


def _number(text: str, name: str, errors: dict[str, str]) -> float | int | None:
    try:
        number = float(text.strip())
    except ValueError:
        errors[name] = "form.error.number"
        return None
    return int(number) if number.is_integer() and name.endswith(("consecutive", "cases_from")) else number
