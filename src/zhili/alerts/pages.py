"""Pages of alerts: the list (`/alerts`), one alert and its map (`/alerts/{id}`), the rules (`/admin/alert-rules`).

Handlers are thin: one query or service each. A refused rule form comes back with what was typed and
each reason by its field, in the page's language.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from zhili.alerts import queries, rule_form, rule_service
from zhili.alerts.areas import area_geojson
from zhili.alerts.message import Category, Certainty, Severity, Urgency
from zhili.alerts.schemas import AlertDetail, RuleIn
from zhili.campaigns.templates_service import list_templates
from zhili.cases.page_names import division_names
from zhili.command_groups.groups import OPENING_ROLES
from zhili.command_groups.visibility import may_open_in
from zhili.core.auth import Actor, PageActor
from zhili.core.errors import InvalidInputError
from zhili.core.http import ClockDep, DbSession
from zhili.core.pagination import CursorQuery
from zhili.core.params import IdPath
from zhili.org.division_code import DivisionLevel, codes_of, common_ancestor
from zhili.org.geometry import geojson_for_display
from zhili.org.models import Division
from zhili.web.form_errors import FormErrors, form_errors
from zhili.web.form_once import FormOnce, run_form
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)

RULES = "/admin/alert-rules"
INPUTS = {name: name for name in ("name", "event_match", "category", "min_severity", "min_urgency", "min_certainty")}
INPUTS |= {"areas": "areas", "campaign_template": "campaign_template", "open_group": "open_group"}
CHOICES = frozenset({"category", "min_severity", "min_urgency", "min_certainty", "campaign_template"})
DISPLAY_TOLERANCE = 0.002  # degrees: a county outline at a phone's zoom


@router.get("/alerts")
def alerts_page(
    request: Request,
    session: DbSession,
    actor: PageActor,
    clock: ClockDep,
    drill: Annotated[bool | None, Query()] = None,
    cursor: CursorQuery = None,
) -> Response:
    """The alerts I read, newest first, each with its colour grade, area, status and a drill badge."""
    page = queries.list_alerts(session, actor, now=clock.now(), drill=drill, cursor=cursor)
    context = {"actor": actor, "page": page, "drill": drill}
    return renderer(request).render(request, "alerts/list.html", context)


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, alert_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """One alert: its words, its areas on a map, the divisions resolved and the rules it fired."""
    detail = queries.alert_detail(session, actor, alert_id, now=clock.now())
    codes = {code for firing in detail.firings for code in firing.divisions}
    context = {
        "actor": actor,
        "alert": detail,
        "map_data": _map_data(session, detail),
        "division_names": division_names(session, codes),
        "group_link": _group_link(actor, detail),
        "readable_groups": queries.readable_groups(session, actor, detail.firings),
    }
    return renderer(request).render(request, "alerts/alert.html", context)


GROUP_AREAS = frozenset({DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP, DivisionLevel.VILLAGE})
ENDED_STATES = frozenset({"cancelled", "ended"})


def _group_link(actor: Actor, detail: AlertDetail) -> str | None:
    """成立指挥组 by hand from a real alert: the form filled with its headline, words and area (where the actor may).

    The area is the divisions' common one, at the levels a group covers, when the actor may open a group over it.
    """
    if detail.is_drill or not (actor.is_admin or actor.has_any_role(OPENING_ROLES)):
        return None
    if detail.state in ENDED_STATES:  # a cancelled or lifted warning is no reason to gather a task force
        return None
    info = detail.infos[0] if detail.infos else None
    headline = detail.headline or detail.event or detail.identifier
    # One line: a query may carry no control character (a newline is refused at the door, 400).
    words = " ".join(" ".join(part.split()) for part in (info.description, info.instruction) if part) if info else ""
    # The words cut to 500 characters: the link stays short enough for a proxy's request line (nginx: 8 KB).
    fields = {"title": f"{headline}指挥组"[:120], "summary": words[:500]}
    area = common_ancestor(codes_of(division.code for division in detail.divisions))
    if area is not None and area.level in GROUP_AREAS and may_open_in(actor, area.value):
        fields["area"] = area.value
    return "/groups/new?" + urlencode(fields)


def _map_data(session: Session, detail: AlertDetail) -> str:
    """The resolved divisions' outlines and the alert's own polygons and circles, as JSON for the map."""
    codes = [d.code for d in detail.divisions]
    rows = session.execute(select(Division.code, Division.name, Division.geometry).where(Division.code.in_(codes)))
    divisions = [
        {"name": name, "geometry": json.loads(geojson_for_display(geometry, DISPLAY_TOLERANCE))}
        for _code, name, geometry in rows
        if geometry
    ]
    info = detail.infos[0] if detail.infos else None
    shapes = [(area.description, area_geojson(area)) for area in (info.areas if info else ())]
    areas = [{"name": name, "geometry": geometry} for name, geometry in shapes if geometry is not None]
    return json.dumps({"divisions": divisions, "areas": areas}, ensure_ascii=False)


@router.get(RULES)
def rules_page(request: Request, session: DbSession, actor: PageActor) -> Response:
    """Every trigger rule, and the form that adds one (administrators)."""
    actor.require_admin("manage alert trigger rules")
    return _rules_page(request, session, actor, typed={}, errors=FormErrors(), status_code=200)


@router.post(RULES)
async def add_rule(request: Request, session: DbSession, actor: PageActor, clock: ClockDep) -> Response:
    """Add a rule from the form (sent twice, it is added once)."""
    form = await request.form()
    actor.require_admin("add alert trigger rules")
    once = FormOnce.of(form, RULES)
    try:
        data = RuleIn.model_validate(await _fields(session, actor, form))

        def add() -> int:
            return rule_service.create_rule(session, data=data, actor=actor, clock=clock).id

        await run_in_threadpool(run_form, once, session, owner=actor.audit_name, now=clock.now(), action=add)
    except (ValidationError, InvalidInputError) as refused:
        session.rollback()
        errors = _errors(request, refused)
        return await run_in_threadpool(
            _rules_page, request, session, actor, typed=_typed(form), errors=errors, status_code=422
        )
    return RedirectResponse(f"{RULES}?saved=1", status_code=303)


@router.get(RULES + "/{rule_id}")
def rule_page(request: Request, rule_id: IdPath, session: DbSession, actor: PageActor) -> Response:
    """One rule's form, filled in as it stands (administrators)."""
    actor.require_admin("manage alert trigger rules")
    return _rule_page(request, session, actor, rule_id, typed=None, errors=FormErrors(), status_code=200)


@router.post(RULES + "/{rule_id}")
async def change_rule(
    request: Request, rule_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """Save a rule's form."""
    form = await request.form()
    actor.require_admin("change alert trigger rules")
    try:
        data = RuleIn.model_validate(await _fields(session, actor, form))
        await run_in_threadpool(rule_service.update_rule, session, rule_id=rule_id, data=data, actor=actor, clock=clock)
    except (ValidationError, InvalidInputError) as refused:
        session.rollback()
        errors = _errors(request, refused)
        return await run_in_threadpool(
            _rule_page, request, session, actor, rule_id, typed=_typed(form), errors=errors, status_code=422
        )
    return RedirectResponse(f"{RULES}/{rule_id}?saved=1", status_code=303)


async def _fields(session: Session, actor: Actor, form: FormData) -> dict[str, Any]:
    """The rule's fields from the form: blanks as none, the areas' names or codes as codes, the boxes ticked."""
    text = {name: str(form.get(name) or "").strip() for name in INPUTS if name not in {"areas", "open_group"}}
    areas = await run_in_threadpool(rule_form.area_codes, session, actor, str(form.get("areas") or "")[:2000])
    return {
        **{name: value or None for name, value in text.items()},
        "name": text["name"],
        "areas": areas,
        "open_group": form.get("open_group") == "on",
        "is_active": form.get("is_active") == "on",
    }


def _typed(form: FormData) -> dict[str, Any]:
    """What was typed, to show it again."""
    return {
        **{name: str(form.get(name) or "") for name in INPUTS if name != "open_group"},
        "open_group": form.get("open_group") == "on",
        "is_active": form.get("is_active") == "on",
    }


def _errors(request: Request, refused: ValidationError | InvalidInputError) -> FormErrors:
    """Each reason by its input, the service's by their message keys."""
    return form_errors(refused, renderer(request).language(request), INPUTS, choices=CHOICES)


def _choices(session: Session) -> dict[str, Any]:
    return {
        "templates": list_templates(session),
        "categories": [c.value for c in Category],
        "severities": [s.value for s in Severity],
        "urgencies": [u.value for u in Urgency],
        "certainties": [c.value for c in Certainty],
    }


def _rules_page(
    request: Request, session: Session, actor: Actor, *, typed: dict[str, Any], errors: FormErrors, status_code: int
) -> Response:
    language = renderer(request).language(request)
    choices = _choices(session)
    names = {tpl.code: tpl.name_en if language == "en" else tpl.name_zh for tpl in choices["templates"]}
    rules = queries.list_rules(session)
    context = {
        "actor": actor,
        "rules": rules,
        "division_names": division_names(session, {code for rule in rules for code in rule.areas}),
        "template_names": names,
        "typed": typed,
        "errors": errors,
        "saved": request.query_params.get("saved") == "1",
        **choices,
    }
    return renderer(request).render(request, "alerts/rules.html", context, status_code=status_code)


def _rule_page(
    request: Request,
    session: Session,
    actor: Actor,
    rule_id: int,
    *,
    typed: dict[str, Any] | None,
    errors: FormErrors,
    status_code: int,
) -> Response:
    rule = rule_service.get_rule(session, rule_id)
    shown = typed or {
        "name": rule.name,
        "event_match": rule.event_match,
        "category": rule.category or "",
        "min_severity": rule.min_severity,
        "min_urgency": rule.min_urgency or "",
        "min_certainty": rule.min_certainty or "",
        "areas": rule_form.area_text(session, actor, rule.areas),
        "campaign_template": rule.campaign_template or "",
        "open_group": rule.open_group,
        "is_active": rule.is_active,
    }
    context = {
        "actor": actor,
        "rule": rule,
        "typed": shown,
        "errors": errors,
        "saved": request.query_params.get("saved") == "1",
        **_choices(session),
    }
    return renderer(request).render(request, "alerts/rule.html", context, status_code=status_code)
