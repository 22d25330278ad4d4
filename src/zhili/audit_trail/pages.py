"""The audit record page (`/admin/audit`), for administrators: the records by filters, and the chain's check."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhili.audit_trail import display, queries
from zhili.audit_trail.queries import AuditFilter
from zhili.core.auth import Actor, PageActor
from zhili.core.http import DbSession, run_in_read_session
from zhili.core.pagination import CursorQuery
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)

ActionQuery = Annotated[str | None, Query(max_length=80, pattern=r"^[a-z0-9_.-]*$")]
TextQuery = Annotated[str | None, Query(max_length=80)]
DateQuery = Annotated[str | None, Query(max_length=10)]


@router.get("/admin/audit")
def audit_page(
    request: Request,
    session: DbSession,
    actor: PageActor,
    action: ActionQuery = None,
    who: TextQuery = None,
    entity_type: ActionQuery = None,
    entity: TextQuery = None,
    since: DateQuery = None,
    until: DateQuery = None,
    cursor: CursorQuery = None,
) -> Response:
    """The audit record, newest first, narrowed by action, actor, entity and local dates."""
    form = {"action": action, "who": who, "entity_type": entity_type, "entity": entity, "since": since, "until": until}
    errors = {name: "audit.error.date" for name in ("since", "until") if form[name] and _day(form[name]) is None}
    where = AuditFilter(
        action=action or None,
        actor=(who or "").strip() or None,
        entity_type=entity_type or None,
        entity_id=(entity or "").strip() or None,
        since=_day(since),
        until=_day(until),
    )
    language = renderer(request).language(request)
    found = queries.list_records(session, actor, where, cursor=None if errors else cursor, language=language)
    context = _context(actor, form, errors, found, report=None)
    return renderer(request).render(request, "audit_trail/audit.html", context, status_code=422 if errors else 200)


@router.post("/admin/audit/verify")
async def verify_page(request: Request, actor: PageActor) -> Response:
    """Walk the whole chain and show the outcome above the newest records; a read beside other readers."""

    def check(session: Session) -> dict[str, Any]:
        report = queries.verify_chain(session, actor)
        found = queries.list_records(session, actor, AuditFilter(), language=renderer(request).language(request))
        return _context(actor, {}, {}, found, report=report)

    context = await run_in_read_session(request, check)
    return renderer(request).render(request, "audit_trail/audit.html", context)


def _context(
    actor: Actor,
    form: dict[str, str | None],
    errors: dict[str, str],
    found: queries.AuditPage,
    report: object,
) -> dict[str, Any]:
    return {
        "actor": actor,
        "form": form,
        "errors": errors,
        "page": found.page,
        "actor_names": found.actor_names,
        "names": found.names,
        "report": report,
        "view": display,
        "entity_types": display.ENTITY_TYPES,
        "next_query": {k: v for k, v in form.items() if v} if not errors else {},
    }


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
