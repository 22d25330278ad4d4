"""The loop: a run's warnings each open a 欠薪处置 case or join the firm's open one; verdicts are recorded.

A warning is one firm graded yellow or worse in a month. `record_run` stores every firm's score (the
firm page's chart), replaces the month's warnings that nobody has acted on, and sends each new warning
into the case engine: a case of the `wage_arrears` matter at the firm's place, which the engine routes
to the human resources and social security unit of the firm's county through its centre, with the
warning's explanation as the description; or, when the firm already has an open wage-arrears case, a
`warning_joined` line on it that tells its lead. The verdict (confirmed arrears / risk resolved /
false alarm) is what precision is measured on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from itertools import repeat
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from zhili.cases import linked
from zhili.cases.models import Case
from zhili.cases.schemas import CaseCreate, Point
from zhili.cases.service import report_case
from zhili.core import audit
from zhili.core.auth import Actor, system_actor
from zhili.core.clock import Clock
from zhili.core.db import commit, deferred_commit, load_tuples
from zhili.core.errors import ForbiddenError, InvalidInputError, NotFoundError
from zhili.core.months import Month
from zhili.core.sql_json import json_text
from zhili.early_warning import visibility
from zhili.early_warning.detect.config import GradeCutoffs
from zhili.early_warning.detect.grades import grade
from zhili.early_warning.models import EarlyWarning, Enterprise, RiskScore, WarningRun
from zhili.org.geo import LocatorCache
from zhili.org.queries import ancestors

MATTER: Final = "wage_arrears"
SYSTEM: Final = replace(system_actor("early-warning"), display_name="事前预警")
# Industry sections (GB/T 4754) as the matter's employment types.
EMPLOYMENT: Final = {"E": "construction_project", "C": "manufacturing", "B": "manufacturing", "D": "manufacturing"}
SERVICES: Final = frozenset("FGHIJKLMNOPQRS")


NOTE_FOR_FALSE_ALARM: Final = "verdict.error.false_alarm_note"


class Verdict(StrEnum):
    """What checking a warning found."""

    CONFIRMED = "confirmed_arrears"  # wages were owed
    RESOLVED = "risk_resolved"  # the risk was real and was dealt with before wages went unpaid
    FALSE_ALARM = "false_alarm"  # nothing was wrong


@dataclass(frozen=True, slots=True)
class WarningDraft:
    """A firm graded yellow or worse: its grade (1 yellow, 2 orange, 3 red), why, and the summary a person reads.

    The case's description is the summary in both languages; a line joining an open case carries both too.
    """

    enterprise_id: int
    score: float
    grade: int
    findings: list[dict[str, Any]]
    summary: str
    summary_en: str = ""


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a run stored."""

    run_id: int
    scored: int
    warnings: int
    cases_opened: int
    cases_joined: int


def record_run(
    session: Session,
    *,
    clock: Clock,
    locators: LocatorCache,
    month: Month,
    config_id: int,
    firm_ids: npt.NDArray[np.int64],
    scores: npt.NDArray[np.float32],
    grades: npt.NDArray[np.int8],
    drafts: Sequence[WarningDraft],
    seconds: float,
    cases_from: int = 1,
) -> RunSummary:
    """Store a month's scores and warnings and send the new ones of grade `cases_from` or above to the case engine.

    One transaction; warnings below `cases_from` are listed (watched) without a case.
    """
    now = clock.now()
    with deferred_commit(session):
        run = WarningRun(
            month=month.index,
            config_id=config_id,
            firms=len(firm_ids),
            warnings=len(drafts),
            seconds=seconds,
            started_at=now,
            started_by=SYSTEM.audit_name,
        )
        session.add(run)
        session.flush()
        _store_scores(session, month, run.id, firm_ids=firm_ids, scores=scores, grades=grades)
        fresh = _replace_warnings(session, month, run.id, drafts, now)
        opened = joined = 0
        for warning, draft in fresh:
            if draft.grade < cases_from:
                continue  # watched on the list; no case yet
            if _join_open_case(session, warning, draft, clock):
                joined += 1
            else:
                warning.case_id = _open_case(session, warning.enterprise_id, draft, clock, locators)
                opened += 1
        audit.record_by(
            session,
            SYSTEM,
            "early_warning.run",
            entity_type="warning_run",
            entity_id=run.id,
            after={"month": str(month), "firms": len(firm_ids), "warnings": len(drafts), "opened": opened},
            at=now,
        )
    commit(session)
    return RunSummary(run.id, len(firm_ids), len(drafts), opened, joined)


def _store_scores(
    session: Session,
    month: Month,
    run_id: int,
    *,
    firm_ids: npt.NDArray[np.int64],
    scores: npt.NDArray[np.float32],
    grades: npt.NDArray[np.int8],
) -> None:
    session.execute(delete(RiskScore).where(RiskScore.month == month.index))
    rows = zip(firm_ids.tolist(), repeat(month.index), np.round(scores, 4).tolist(), grades.tolist(), repeat(run_id))
    load_tuples(session, RiskScore.__tablename__, ("enterprise_id", "month", "score", "grade", "run_id"), rows)


def _replace_warnings(
    session: Session, month: Month, run_id: int, drafts: Sequence[WarningDraft], now: datetime
) -> list[tuple[EarlyWarning, WarningDraft]]:
    """Update the month's warnings; drop those nobody acted on that the run no longer raises; the new ones."""
    held = {w.enterprise_id: w for w in session.scalars(select(EarlyWarning).where(EarlyWarning.month == month.index))}
    raised = {draft.enterprise_id for draft in drafts}
    for firm, warning in held.items():
        if firm not in raised and warning.case_id is None and warning.verdict is None:
            session.delete(warning)
    fresh: list[tuple[EarlyWarning, WarningDraft]] = []
    for draft in drafts:
        found = held.get(draft.enterprise_id)
        if found is not None:
            warning = found
        else:
            warning = EarlyWarning(enterprise_id=draft.enterprise_id, month=month.index, created_at=now)
            session.add(warning)
            fresh.append((warning, draft))
        warning.grade, warning.score, warning.findings, warning.run_id = (
            draft.grade,
            draft.score,
            draft.findings,
            run_id,
        )
    session.flush()
    return fresh


def _join_open_case(session: Session, warning: EarlyWarning, draft: WarningDraft, clock: Clock) -> bool:
    firm = session.get_one(Enterprise, warning.enterprise_id)
    earlier = session.scalars(
        select(EarlyWarning.case_id)
        .where(EarlyWarning.enterprise_id == firm.id, EarlyWarning.case_id.is_not(None))
        .order_by(EarlyWarning.month.desc())
    ).all()
    reported = session.scalars(
        select(Case.id)
        .where(Case.matter_code == MATTER, json_text(Case.attributes, "credit_code") == firm.credit_code)
        .order_by(Case.id.desc())
    ).all()
    for case_id in [*(c for c in earlier if c is not None), *reported]:
        if linked.is_open(session, case_id):
            details = {
                "summary": {"zh": draft.summary, "en": draft.summary_en or draft.summary},
                "warning_id": warning.id,
            }
            kind = linked.LinkedKind.WARNING_JOINED
            linked.add_linked_event(session, case_id=case_id, kind=kind, details=details, actor=SYSTEM, clock=clock)
            warning.case_id = case_id
            return True
    return False


def _open_case(session: Session, enterprise_id: int, draft: WarningDraft, clock: Clock, locators: LocatorCache) -> int:
    firm = session.get_one(Enterprise, enterprise_id)
    point = Point(lon=firm.lon, lat=firm.lat) if firm.lon is not None and firm.lat is not None else None
    place = None if point else "".join(ref.name for ref in ancestors(session, firm.division_code)[2:])
    employees = firm.employees or 1
    data = CaseCreate(
        matter=MATTER,
        point=point,
        place=place,
        address=firm.address,
        description=draft.summary,
        description_en=draft.summary_en or None,
        channel="warning",
        attributes={
            "employer_name": firm.name,
            "credit_code": firm.credit_code,
            "workers_affected": employees,
            "employment_type": EMPLOYMENT.get(firm.industry, "services" if firm.industry in SERVICES else "other"),
        },
    )
    return report_case(session, data=data, actor=SYSTEM, clock=clock, locators=locators).id


def record_verdict(
    session: Session, *, actor: Actor, clock: Clock, warning_id: int, verdict: Verdict, note: str | None
) -> EarlyWarning:
    """Record what checking the warning found (its firm's labour unit, the centre or an administrator)."""
    warning = session.get(EarlyWarning, warning_id)
    if warning is None:
        raise NotFoundError("warning not found")
    visibility.require_enterprise(session, actor, warning.enterprise_id)
    if not visibility.may_judge(session, actor):
        raise ForbiddenError(
            "only the labour unit, the governance centre or an administrator judges a warning",
            message_key="forbidden.warning_judge",
        )
    if verdict is Verdict.FALSE_ALARM and not (note or "").strip():  # what was checked: precision is measured on it
        message = "say what checking found: a false alarm needs a note"
        raise InvalidInputError(message, errors=[{"field": "note", "message": message, "key": NOTE_FOR_FALSE_ALARM}])
    before = {"verdict": warning.verdict, "note": warning.verdict_note}
    now = clock.now()
    warning.verdict, warning.verdict_note, warning.verdict_at, warning.verdict_by = verdict, note, now, actor.audit_name
    audit.record_by(
        session,
        actor,
        "early_warning.verdict",
        entity_type="warning",
        entity_id=warning.id,
        before=before,
        after={"verdict": verdict, "note": note},
        at=now,
    )
    commit(session)
    return warning


def store_history(
    session: Session,
    *,
    run_id: int,
    first: Month,
    firm_ids: npt.NDArray[np.int64],
    scores: npt.NDArray[np.float32],
    cutoffs: GradeCutoffs,
) -> None:
    """Scores `[firms, months]` of the months from `first`, computed by a run, for the firms' charts."""
    grades = grade(scores, cutoffs)
    for column in range(scores.shape[1]):
        month = first + column
        _store_scores(session, month, run_id, firm_ids=firm_ids, scores=scores[:, column], grades=grades[:, column])


def month_warnings(session: Session, month: Month) -> list[EarlyWarning]:
    """A month's warnings, red first (for the demo's verdicts and reports)."""
    return list(
        session.scalars(
            select(EarlyWarning)
            .where(EarlyWarning.month == month.index)
            .order_by(EarlyWarning.grade.desc(), EarlyWarning.score.desc())
        )
    )
