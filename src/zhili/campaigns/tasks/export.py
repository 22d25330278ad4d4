"""The task queue as a file: every task of the view matching the filter (up to a cap), by labels, in local time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session
from starlette.responses import Response

from zhili.campaigns.lifecycle import UNCLAIMED_STATES, TaskState
from zhili.campaigns.tasks import queue as task_queue
from zhili.campaigns.tasks.queue import TaskFilter, View
from zhili.campaigns.visibility import load_reach
from zhili.core import exports
from zhili.core.auth import Actor
from zhili.core.local_time import LOCAL_ZONE
from zhili.org.roles import role_name
from zhili.web.i18n import translate

Format = Literal["csv", "xlsx"]
EXPORT_CAP = 20_000
COLUMNS = (
    "tasks.col.campaign_number",
    "tasks.col.campaign",
    "tasks.person",
    "tasks.col.role",
    "tasks.col.division",
    "tasks.col.state",
    "tasks.col.notified_at",
    "tasks.claim_by",
    "tasks.report_by",
    "tasks.col.claimed_at",
    "tasks.col.reported_at",
    "tasks.col.overdue",
)
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {exports.CSV_MEDIA_TYPE: {}, exports.XLSX_MEDIA_TYPE: {}}, "description": "the file"}
}


def _local(value: datetime | None) -> datetime | None:
    return exports.naive_local(value, LOCAL_ZONE)


def export_rows(
    session: Session, actor: Actor, view: View, where: TaskFilter, *, now: datetime, language: str
) -> Iterator[list[exports.Cell]]:
    """The matching tasks in the queue's order, as labelled cells; at most `EXPORT_CAP` rows."""
    reach = load_reach(session, actor)
    stmt = task_queue.rows().where(*task_queue.conditions(reach, view, where, now))
    for task, campaign, person, division in session.execute(task_queue.ordered(stmt, where.sort).limit(EXPORT_CAP)):
        due = task.claim_due_at if task.state in UNCLAIMED_STATES else task.report_due_at
        late = task.state in {*UNCLAIMED_STATES, TaskState.CLAIMED} and due <= now
        yield [
            campaign.number,
            campaign.title,
            person,
            role_name(task.role, language),
            division,
            translate(f"task_state.{task.state}", language),
            _local(task.notified_at),
            _local(task.claim_due_at),
            _local(task.report_due_at),
            _local(task.claimed_at),
            _local(task.reported_at),
            translate("board.yes" if late else "board.no", language),
        ]


def export_file(
    session: Session, actor: Actor, view: View, where: TaskFilter, *, now: datetime, language: str, file_format: Format
) -> Response:
    """The filtered task queue as a CSV or XLSX download."""
    headings = [translate(key, language) for key in COLUMNS]
    rows = export_rows(session, actor, view, where, now=now, language=language)
    if file_format == "csv":
        data, media = exports.to_csv(headings, rows), exports.CSV_MEDIA_TYPE
    else:
        data, media = exports.to_xlsx(translate("tasks.title", language), headings, rows), exports.XLSX_MEDIA_TYPE
    disposition = f'attachment; filename="tasks-{view}.{file_format}"'
    return Response(data, media_type=media, headers={"Content-Disposition": disposition})
