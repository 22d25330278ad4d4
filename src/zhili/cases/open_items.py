"""Closing with help requests or meeting tasks still open: cancel them with a reason and close, or wait.

A case is not closed over open work without a word: `close_case` refuses (409) while a help request
waits for its reply or a meeting task is open, unless the closing unit gives a reason; then each open
item is cancelled with that reason, on the timeline and in the audit record, and the case closes in the
same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from zhili.cases import lifecycle, states, store
from zhili.cases.commands import CloseBody, CommandBody, RejectBody
from zhili.cases.models import CaseTask, CollaborationRequest
from zhili.cases.service import add_event, apply_command, load_as_party, run_command
from zhili.cases.states import HelpStatus, MeetingTaskStatus
from zhili.cases.store import StoredCase
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ConflictError
from zhili.matters import queries as matters
from zhili.notify import inbox
from zhili.notify.kinds import Settled
from zhili.org.models import Department

_OPEN_REQUESTS = (
    select(CollaborationRequest, Department.name)
    .join(Department, Department.id == CollaborationRequest.unit_id)
    .where(
        CollaborationRequest.case_id == bindparam("b_case_id"),
        CollaborationRequest.status == HelpStatus.REQUESTED.value,
    )
    .order_by(CollaborationRequest.id)
)
_OPEN_TASKS = (
    select(CaseTask, Department.name)
    .join(Department, Department.id == CaseTask.owner_unit_id)
    .where(CaseTask.case_id == bindparam("b_case_id"), CaseTask.status == MeetingTaskStatus.OPEN.value)
    .order_by(CaseTask.id)
)


class OpenItemsError(ConflictError):
    """The case still has open help requests or tasks: cancel them with a reason, or wait."""

    type_slug = "open-items"


def open_items(session: Session, case_id: int) -> tuple[list[int], list[int]]:
    """The ids of the help requests still waiting for a reply and of the meeting tasks still open."""
    requests = [r.id for r, _name in session.execute(_OPEN_REQUESTS, {"b_case_id": case_id})]
    tasks = [t.id for t, _name in session.execute(_OPEN_TASKS, {"b_case_id": case_id})]
    return requests, tasks


def close_case(session: Session, *, case_id: int, body: CloseBody, actor: Actor, clock: Clock) -> StoredCase:
    """Close the case; open help requests and tasks are cancelled with `body.cancel_reason`, or it is a 409."""
    return _ending(session, case_id=case_id, body=body, cancel_reason=body.cancel_reason, actor=actor, clock=clock)


def reject_case(session: Session, *, case_id: int, body: RejectBody, actor: Actor, clock: Clock) -> StoredCase:
    """不予受理: a case its lead returned may still have help asked or meeting tasks open; cancelled with the reason."""
    return _ending(session, case_id=case_id, body=body, cancel_reason=body.reason, actor=actor, clock=clock)


def _ending(
    session: Session,
    *,
    case_id: int,
    body: CloseBody | RejectBody,
    cancel_reason: str | None,
    actor: Actor,
    clock: Clock,
) -> StoredCase:
    """A command that ends the work: the open items cancelled with `cancel_reason` first (none given: a 409)."""
    case, parties = load_as_party(session, actor, case_id)
    if body.version is not None and body.version != case.version:
        raise ConflictError(
            f"the case is at version {case.version}, not {body.version}; reload it", current_version=case.version
        )
    command = body.to_command(parties, routed_unit_id=case.routed_unit_id)
    now = clock.now()
    definition = matters.definition_by_version_id(session, case.matter_version_id, content_hash=case.matter_hash)
    lifecycle.step(definition, case.state, command, now)  # refused here (403/409) before anything is cancelled
    requests, tasks = open_items(session, case.id)
    if requests or tasks:
        if cancel_reason is None:
            raise OpenItemsError(
                f"{len(requests)} help requests wait for a reply and {len(tasks)} meeting tasks are open;"
                " cancel them with a reason (cancel_reason) and close, or wait",
                open_help_requests=requests,
                open_tasks=tasks,
            )
        case = store.lock(session, case, now)
        _cancel(session, case, cancel_reason, actor=actor, now=now)
    case = apply_command(session, case, command, actor=actor, now=now)
    commit(session)
    return case


def _cancel(session: Session, case: StoredCase, reason: str, *, actor: Actor, now: datetime) -> None:
    """Cancel every open request and task of the case: one timeline line and one audit record each."""
    for request, unit_name in session.execute(_OPEN_REQUESTS, {"b_case_id": case.id}).all():
        request.status = HelpStatus.CANCELLED.value
        details = {"request_id": request.id, "unit_id": request.unit_id, "unit": unit_name, "reason": reason}
        _record(session, case, "help_cancelled", ("collaboration_request", request.id), details, actor=actor, at=now)
    for task, unit_name in session.execute(_OPEN_TASKS, {"b_case_id": case.id}).all():
        task.status, task.done_at, task.done_note = MeetingTaskStatus.CANCELLED.value, now, reason
        details = {"task_id": task.id, "unit_id": task.owner_unit_id, "unit": unit_name, "reason": reason}
        _record(session, case, "task_cancelled", ("case_task", task.id), details, actor=actor, at=now)
    # Nothing is left to answer: the asked units' 部门协同待回复 and the owners' 会商任务待完成 no longer wait.
    for topic in ("case.help_requested", "case.meeting_held"):
        subject, why = f"case:{case.id}", Settled.CANCELLED
        inbox.settle_topic(session, subject=subject, topic=topic, person_id=actor.person_id, at=now, why=why)
    session.flush()


def _record(
    session: Session,
    case: StoredCase,
    kind: str,
    entity: tuple[str, int],
    details: dict[str, object],
    *,
    actor: Actor,
    at: datetime,
) -> None:
    add_event(
        session, case, kind=kind, actor=actor, parties=frozenset({states.Party.LEAD.value}), details=details, at=at
    )
    audit.record_by(session, actor, f"case.{kind}", entity_type=entity[0], entity_id=entity[1], after=details, at=at)


def issue_command(session: Session, *, case_id: int, body: CommandBody, actor: Actor, clock: Clock) -> StoredCase:
    """Any lifecycle command from the API or a page: `close` decides on the open work first."""
    if isinstance(body, CloseBody):
        return close_case(session, case_id=case_id, body=body, actor=actor, clock=clock)
    if isinstance(body, RejectBody):
        return reject_case(session, case_id=case_id, body=body, actor=actor, clock=clock)
    return run_command(session, case_id=case_id, body=body, actor=actor, clock=clock)
