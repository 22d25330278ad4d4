"""Matter catalog pages: the list of matters and one matter with its limits, ladder and history.

Administrators change a matter's phase limits and its lead and collaborating department kinds on
the matter's page (编辑时限与分工); the change is saved as a new version (`service.edit_matter`),
and a refused form comes back with what was typed and each reason by its field.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from zhili.core.auth import Actor, PageActor
from zhili.core.errors import ConflictError, InvalidInputError, NotFoundError
from zhili.core.http import ClockDep, DbSession, rolled_back, run_in_read_session, run_in_write_session
from zhili.core.params import MAX_ID
from zhili.matters import browse, queries, service
from zhili.matters.definition import CODE_PATTERN, HandlerLevel, Phase, lead_collaborator_rule
from zhili.matters.schemas import MatterEdit, MatterVersionRead
from zhili.web.form_errors import FormErrors, form_errors
from zhili.web.form_once import FormOnce, run_form
from zhili.web.i18n import translate
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)

CodePath = Annotated[str, Path(pattern=CODE_PATTERN)]
UNITS = ("working_days", "working_hours", "hours")
# Body paths of the edit → the form's inputs (a limit's error names its amount or its unit).
INPUTS = {
    "lead_kind": "lead_kind",
    "collaborator_kinds": "collaborator_kinds",
    "reason": "reason",
    **{
        f"limits.{level.value}.{phase.value}": f"limits.{level.value}.{phase.value}.amount"
        for level in HandlerLevel
        for phase in Phase
    },
    **{
        f"limits.{level.value}.{phase.value}.unit": f"limits.{level.value}.{phase.value}.unit"
        for level in HandlerLevel
        for phase in Phase
    },
}
# The inputs chosen, not typed: one left unchosen is told 请选择.
CHOICES = frozenset({"lead_kind", "collaborator_kinds", *(name for name in INPUTS.values() if name.endswith(".unit"))})
Refusal = ValidationError | InvalidInputError | ConflictError


@router.get("/matters")
def matters_index(request: Request, session: DbSession, actor: PageActor) -> Response:
    """Every current matter with its lead, level and version."""
    page = browse.catalog_page(session)
    return renderer(request).render(request, "matters/index.html", {"actor": actor, "page": page})


@router.get("/matters/{code}")
def matter_detail(
    request: Request,
    code: CodePath,
    session: DbSession,
    actor: PageActor,
    version: Annotated[int | None, Query(gt=0, le=MAX_ID)] = None,
) -> Response:
    """One matter: who leads and helps, limits, escalation, evidence, intake and version history."""
    return _matter_response(request, session, actor, code, version=version, typed=None, errors=FormErrors())


@router.post("/matters/{code}/edit")
async def edit_matter(request: Request, code: CodePath, actor: PageActor, clock: ClockDep) -> Response:
    """Save the 编辑时限与分工 form as the matter's new version (administrators; sent twice, saved once)."""
    form = await request.form()
    actor.require_admin("edit the matter catalog")
    once = FormOnce.of(form, request.url.path)

    def attempt(session: Session) -> Refusal | None:
        try:
            data = MatterEdit.model_validate(_fields(form))
            run_form(
                once,
                session,
                owner=actor.audit_name,
                now=clock.now(),
                action=lambda: service.edit_matter(session, code=code, data=data, actor=actor, clock=clock).version,
            )
        except (ValidationError, InvalidInputError, ConflictError) as refused:
            return rolled_back(session, refused)
        return None

    refused = await run_in_write_session(request, attempt)
    if refused is None:
        return RedirectResponse(f"/matters/{code}?saved=1#versions", status_code=303)
    errors = _errors(request, form, refused)
    status_code = HTTPStatus.CONFLICT if isinstance(refused, ConflictError) else HTTPStatus.UNPROCESSABLE_ENTITY
    return await run_in_read_session(
        request,
        lambda session: _matter_response(
            request, session, actor, code, version=None, typed=_typed(form), errors=errors, status_code=status_code
        ),
    )


def _fields(form: FormData) -> dict[str, Any]:
    """The edit from the form: the limits of each level shown, the kinds chosen, the reason."""
    limits: dict[str, dict[str, dict[str, str]]] = {}
    for level in HandlerLevel:
        for phase in Phase:
            amount = form.get(f"limits.{level.value}.{phase.value}.amount")
            unit = form.get(f"limits.{level.value}.{phase.value}.unit")
            if amount is None and unit is None:
                continue
            limit = {"amount": str(amount or "").strip(), "unit": str(unit or "")}
            limits.setdefault(level.value, {})[phase.value] = limit
    return {
        "version": str(form.get("version") or ""),
        "limits": limits,
        "lead_kind": str(form.get("lead_kind") or ""),
        "collaborator_kinds": [value for value in form.getlist("collaborator_kinds") if isinstance(value, str)],
        "reason": str(form.get("reason") or ""),
    }


def _typed(form: FormData) -> dict[str, Any]:
    """What was typed and chosen, to show it again."""
    typed: dict[str, Any] = {
        name: str(value) for name, value in form.multi_items() if isinstance(value, str) and name.startswith("limits.")
    }
    typed["lead_kind"] = str(form.get("lead_kind") or "")
    typed["collaborator_kinds"] = [value for value in form.getlist("collaborator_kinds") if isinstance(value, str)]
    typed["reason"] = str(form.get("reason") or "")
    typed["version"] = str(form.get("version") or "")
    return typed


def _errors(request: Request, form: FormData, refused: Refusal) -> FormErrors:
    language = renderer(request).language(request)
    if isinstance(refused, ConflictError):  # another edit or a reload came first
        found = FormErrors()
        found.add(None, translate("matters.edit.stale", language))
        return found
    found = form_errors(refused, language, INPUTS, choices=CHOICES)
    if isinstance(refused, ValidationError) and lead_collaborator_rule(
        form.get("lead_kind"), form.getlist("collaborator_kinds")
    ):
        # The service would say this too, but it is not reached when the form's fields are refused first.
        found.add("collaborator_kinds", translate("form.error.lead_collaborator", language))
    return found


def _typed_from(page: browse.MatterPage) -> dict[str, Any]:
    """The form filled in as the current version stands."""
    return _typed_of(page.shown)


def _typed_of(shown: MatterVersionRead) -> dict[str, Any]:
    """The form filled in as a version stands."""
    definition = shown.definition
    typed: dict[str, Any] = {
        "lead_kind": definition.lead_kind,
        "collaborator_kinds": sorted(definition.collaborator_kinds),
        "reason": "",
        "version": str(shown.version),
    }
    for level, phases in definition.limits.items():
        for phase, limit in phases.items():
            typed[f"limits.{level.value}.{phase.value}.amount"] = str(limit.amount)
            typed[f"limits.{level.value}.{phase.value}.unit"] = limit.unit
    return typed


def _rebased(
    session: Session, code: str, typed: dict[str, Any], newest: MatterVersionRead
) -> tuple[dict[str, Any], list[str]]:
    """What was typed on an older version, moved onto the newest (another edit or a reload came first).

    A field the person changed keeps what they typed; any other shows the newest version's value,
    so saving again never undoes the other change. The fields both changed, differently, are named.
    """
    try:
        base = _typed_of(queries.get_version(session, code, int(typed.get("version") or 0)))
    except (ValueError, NotFoundError):  # not a version of this matter: keep what was typed
        return {**typed, "version": str(newest.version)}, []
    theirs = _typed_of(newest)
    rebased, both = {**typed, "version": str(newest.version)}, []
    for name in sorted((set(base) | set(theirs) | set(typed)) - {"reason", "version"}):
        was, mine, now = base.get(name, ""), _comparable(typed.get(name, "")), theirs.get(name, "")
        if mine == was:
            rebased[name] = now
        elif now not in (was, mine):
            both.append(name)
    return rebased, both


def _comparable(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else str(value).strip()


def _matter_response(
    request: Request,
    session: Session,
    actor: Actor,
    code: str,
    *,
    version: int | None,
    typed: dict[str, Any] | None,
    errors: FormErrors,
    status_code: int = 200,
) -> Response:
    page = browse.matter_page(session, code, version=version)
    editable = actor.is_admin and page.shown.is_current
    if typed is not None and status_code == HTTPStatus.CONFLICT:
        typed, both = _rebased(session, code, typed, page.shown)
        for name in both:
            errors.add(name, translate("matters.edit.both_changed", renderer(request).language(request)))
    context = {
        "actor": actor,
        "page": page,
        "phases": browse.PHASES,
        "handler_levels": browse.HANDLER_LEVELS,
        "editable": editable,
        "typed": typed if typed is not None else (_typed_from(page) if editable else {}),
        "errors": errors,
        "units": UNITS,
        "saved": request.query_params.get("saved") == "1",
    }
    return renderer(request).render(request, "matters/matter.html", context, status_code=status_code)
