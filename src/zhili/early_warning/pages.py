"""Pages of early warning: the warning list, a firm's risk profile and the verdict form on it.

`/warnings` and `/enterprises/{id}`; handlers are thin: one query or service each.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhili.core.auth import Actor, PageActor
from zhili.core.clock import Clock
from zhili.core.errors import DomainError, InvalidInputError
from zhili.core.http import ClockDep, DbSession
from zhili.core.months import PATTERN, Month
from zhili.core.pagination import CursorQuery
from zhili.core.params import IdPath
from zhili.early_warning import loop, queries, visibility
from zhili.early_warning.explain import finding_text
from zhili.early_warning.lead_time import lead_time
from zhili.early_warning.precision import precision
from zhili.web.templating import renderer

router = APIRouter(include_in_schema=False)

MonthQuery = Annotated[str | None, Query(pattern=PATTERN, description="YYYY-MM")]
GradeQuery = Annotated[int | None, Query(ge=1, le=3)]
VerdictQuery = Annotated[str | None, Query(pattern="^(pending|confirmed_arrears|risk_resolved|false_alarm)$")]


@router.get("/warnings")
def warnings_page(
    request: Request,
    session: DbSession,
    actor: PageActor,
    month: MonthQuery = None,
    grade: GradeQuery = None,
    verdict: VerdictQuery = None,
    cursor: CursorQuery = None,
) -> Response:
    """The warnings of firms in my reach: newest month first, red first; each with its case and verdict."""
    months = queries.run_months(session)
    seen = visibility.visible_enterprises(session, actor)
    chosen = month or (months[0] if months else None)
    page = queries.list_warnings(
        session,
        actor,
        month=Month.parse(chosen) if chosen else None,
        grade=grade,
        verdict=verdict,
        cursor=cursor,
    )
    return renderer(request).render(
        request,
        "early_warning/list.html",
        {
            "actor": actor,
            "page": page,
            "months": months,
            "filters": {"month": chosen, "grade": grade, "verdict": verdict},
            "verdicts": list(loop.Verdict),
            "finding_text": finding_text,
            "precision": precision(session, seen),
            "lead": lead_time(session, seen),
        },
    )


@router.get("/enterprises/{enterprise_id}")
def firm_page(request: Request, enterprise_id: IdPath, session: DbSession, actor: PageActor) -> Response:
    """A firm's risk profile: the register, its department data and risk by month, warnings, events, verdicts."""
    return _firm_page(request, session, actor, enterprise_id, {})


def _firm_page(
    request: Request,
    session: Session,
    actor: Actor,
    enterprise_id: int,
    form: dict[str, Any],
    *,
    status_code: int = 200,
) -> Response:
    last = queries.latest_month(session) or Month.parse("2026-01")
    detail = queries.firm_detail(session, actor, enterprise_id, last=last)
    return renderer(request).render(
        request,
        "early_warning/firm.html",
        {
            "actor": actor,
            "detail": detail,
            "finding_text": finding_text,
            "may_judge": visibility.may_judge(session, actor),
            "verdicts": list(loop.Verdict),
            "form": form,
            "saved": request.query_params.get("saved"),
        },
        status_code=status_code,
    )


@router.post("/warnings/{warning_id}/verdict")
async def verdict_from_form(
    request: Request, warning_id: IdPath, session: DbSession, actor: PageActor, clock: ClockDep
) -> Response:
    """Record a verdict from the firm page; a refused form comes back with its input and the error by the field."""
    raw = await request.form()
    form = {"warning_id": warning_id, "verdict": str(raw.get("verdict") or ""), "note": str(raw.get("note") or "")}
    firm_id = await run_in_threadpool(_judge, session, actor, clock, form)
    if "error" in form:
        return await run_in_threadpool(_firm_page, request, session, actor, firm_id, form, status_code=422)
    return RedirectResponse(f"/enterprises/{firm_id}?saved={warning_id}#warning-{warning_id}", status_code=303)


def _judge(session: Session, actor: Actor, clock: Clock, form: dict[str, Any]) -> int:
    warning_id = int(form["warning_id"])
    firm_id = queries.warning_firm(session, actor, warning_id)
    note = form["note"].strip()
    if form["verdict"] not in set(loop.Verdict):
        form["error"] = ("verdict", "verdict.error.choose")
        return firm_id
    if len(note) > queries.MAX_NOTE:
        form["error"] = ("note", "form.error.too_long")
        return firm_id
    try:
        loop.record_verdict(
            session,
            actor=actor,
            clock=clock,
            warning_id=warning_id,
            verdict=loop.Verdict(form["verdict"]),
            note=note or None,
        )
    except InvalidInputError as refused:  # a false alarm without a note: said by the note, after the scope's checks
        session.rollback()
        first = (refused.extra.get("errors") or [{}])[0]
        form["error"] = (str(first.get("field") or "note"), str(first.get("key") or "form.error.invalid"))
    except DomainError:
        session.rollback()
        raise
    return firm_id
