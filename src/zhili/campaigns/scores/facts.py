"""Campaign tasks as scored facts for the assessment: claimed by the claim time, reported by the report time.

The same columns as `cases.record_queries` (`subject_id`, `case_id`, `case_number`, `event_kind`,
`at`, `ref`, `bad`, `value`), so the assessment puts both in one `UNION ALL`. A task counts in the
month its due time falls in, once that time has passed; a declined task does not count, nor does a task
handed to someone else (改派) count for its report (the new task carries it); one reassigned because it was
not claimed in time still counts as a late claim. The subject
is the recipient (a person) or the township the task was sent to (a division).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, String, and_, case, cast, func, literal, null, or_, select

from zhili.campaigns.lifecycle import TaskState
from zhili.campaigns.models import CampaignTask
from zhili.org.division_code import DivisionCode, DivisionLevel

DIVISION, PERSON = "division", "person"


def task_facts(
    *,
    subject: str,
    county: str,
    since: datetime,
    until: datetime,
    now: datetime | ColumnElement[datetime],
    report: bool,
) -> Select[Any]:
    """Tasks whose claim (or, with `report`, report) time falls in [since, until), once decided; bad when late.

    A task is decided once it is done (claimed or reported: on time, if before its time) or once its
    time has passed (late, or not done at all): someone who claims early sees it counted at once.
    """
    task = CampaignTask
    due = task.report_due_at if report else task.claim_due_at
    done = task.reported_at if report else task.claimed_at
    township = DivisionLevel.TOWNSHIP.length
    subject_id: ColumnElement[Any]
    if subject == PERSON:
        subject_id = cast(task.person_id, String)
        holder: ColumnElement[bool] = task.person_id.is_not(None)
    elif subject == DIVISION:
        subject_id = func.substr(task.division_code, 1, township)
        holder = func.length(task.division_code) >= township
    else:
        raise ValueError(f"tasks do not score a {subject}")
    return select(
        subject_id.label("subject_id"),
        cast(null(), Integer).label("case_id"),
        cast(null(), String).label("case_number"),
        literal("task_report" if report else "task_claim").label("event_kind"),
        due.label("at"),
        ("task:" + cast(task.id, String)).label("ref"),
        case((or_(done.is_(None), done > due), 1), else_=0).label("bad"),
        literal(0.0).label("value"),
    ).where(
        and_(due >= since, due < until, or_(due <= now, done.is_not(None))),
        task.state != TaskState.DECLINED,
        _reported_by_another(report=report),
        DivisionCode(county).subtree(task.division_code),
        holder,
    )


def _reported_by_another(*, report: bool) -> ColumnElement[bool]:
    """A reassigned task counts for the claim it missed (unless it was declined first), never for a report."""
    reassigned = CampaignTask.state == TaskState.REASSIGNED
    if report:
        return ~reassigned
    return ~(reassigned & CampaignTask.declined_at.is_not(None))
