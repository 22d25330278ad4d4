"""一键发起部门协同: the lead asks several units at once; each answers its own request."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.lifecycle import CaseStatus, Party
from zhili.cases.models import Case, CollaborationRequest
from zhili.cases.parties import parties_for, strip_units
from zhili.cases.schemas import CollaborationAsk, CollaborationReply
from zhili.cases.service import add_event, load_visible, lock_case
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from zhili.org.models import Department

# Help is asked while the lead works the case; a closed case needs none.
HELP_STATUSES = frozenset({CaseStatus.SIGNED, CaseStatus.IN_PROGRESS, CaseStatus.SUSPENDED, CaseStatus.REOPENED})
FINISHED = frozenset({CaseStatus.CLOSED, CaseStatus.RATED, CaseStatus.ARCHIVED, CaseStatus.REJECTED})


def ask_for_help(session: Session, *, case_id: int, data: CollaborationAsk, actor: Actor, clock: Clock) -> Case:
    """The lead unit asks N units at once, each request with its own deadline and state."""
    case = load_visible(session, actor, case_id)
    if Party.LEAD not in parties_for(session, actor, case):
        raise ForbiddenError("only the lead unit asks other units for help")
    if CaseStatus(case.status) not in HELP_STATUSES:
        raise ConflictError(f"help is asked while the case is being handled, not while it is {case.status}")
    lock_case(session, case, clock.now())
    unit_ids = [request.unit_id for request in data.requests]
    if len(set(unit_ids)) != len(unit_ids) or case.lead_unit_id in unit_ids:
        raise InvalidInputError("ask each unit once, and not the lead unit itself")
    found = set(session.scalars(select(Department.id).where(Department.id.in_(unit_ids))))
    missing = [u for u in unit_ids if u not in found]
    if missing:
        raise InvalidInputError(f"unknown units: {', '.join(map(str, missing))}")
    asked = set(session.scalars(select(CollaborationRequest.unit_id).where(CollaborationRequest.case_id == case.id)))
    if asked & set(unit_ids):
        raise ConflictError(f"already asked: {', '.join(map(str, sorted(asked & set(unit_ids))))}")
    now = clock.now()
    session.add_all(
        CollaborationRequest(
            case_id=case.id,
            unit_id=r.unit_id,
            status="requested",
            stage=r.stage,
            request_text=r.text,
            deadline_at=now + timedelta(hours=r.deadline_hours),
            evidence="[]",
            requested_at=now,
        )
        for r in data.requests
    )
    details = json.dumps({"units": unit_ids, "stages": [r.stage for r in data.requests]})
    add_event(
        session,
        case,
        kind="help_requested",
        actor=actor,
        parties=frozenset({Party.LEAD.value}),
        details=details,
        at=now,
    )
    audit.record_by(
        session, actor, "case.help_requested", entity_type="case", entity_id=case.id, after={"units": unit_ids}, at=now
    )
    commit(session)
    return case


def reply_to_request(
    session: Session, *, request_id: int, data: CollaborationReply, actor: Actor, clock: Clock
) -> Case:
    """A collaborating unit answers its own request; only that unit may, only once, and only while the case is open."""
    request = session.get(CollaborationRequest, request_id)
    if request is None or request.unit_id not in strip_units(actor):
        raise NotFoundError(f"help request {request_id} not found")
    case = session.get(Case, request.case_id)
    assert case is not None  # noqa: S101 - the foreign key guarantees it
    lock_case(session, case, clock.now())
    session.refresh(request)
    if request.status != "requested":
        raise ConflictError(f"help request {request_id} was already answered")
    if CaseStatus(case.status) in FINISHED:
        raise ConflictError(f"the case is {case.status}; help is no longer needed")
    now = clock.now()
    request.status, request.reply_text, request.replied_at = "replied", data.text, now
    request.evidence = json.dumps([e.model_dump() for e in data.evidence], ensure_ascii=False)
    details = json.dumps({"request_id": request.id, "unit_id": request.unit_id, "on_time": now <= request.deadline_at})
    add_event(
        session,
        case,
        kind="help_replied",
        actor=actor,
        parties=frozenset({Party.COLLABORATOR.value}),
        details=details,
        at=now,
    )
    audit.record_by(
        session,
        actor,
        "case.help_replied",
        entity_type="collaboration_request",
        entity_id=request.id,
        after={"text": data.text, "evidence": len(data.evidence)},
        at=now,
    )
    commit(session)
    return case
