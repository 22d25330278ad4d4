"""一键发起部门协同: the lead asks several units at once; each answers its own request."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from zhili.cases import store
from zhili.cases.models import CasePhoto, CollaborationRequest
from zhili.cases.parties import parties_for
from zhili.cases.schemas import CollaborationAsk, CollaborationReply, EvidenceIn, UnitRef
from zhili.cases.service import add_event, load_visible
from zhili.cases.states import CaseStatus, HelpStatus, Party, gps_point
from zhili.cases.store import StoredCase
from zhili.cases.visibility import strip_units
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit, insert_rows
from zhili.core.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from zhili.core.params import id_in
from zhili.matters import queries as matters
from zhili.matters.definition import MatterDefinition
from zhili.org.routing import nearest_unit

# Help is asked while the lead works the case; a closed case needs none.
HELP_STATUSES = frozenset({CaseStatus.SIGNED, CaseStatus.IN_PROGRESS, CaseStatus.SUSPENDED, CaseStatus.REOPENED})
FINISHED = frozenset({CaseStatus.CLOSED, CaseStatus.RATED, CaseStatus.ARCHIVED, CaseStatus.REJECTED})
# One message for any unit that may not be asked, so a caller cannot probe which unit ids exist.
NOT_OFFERED = "ask only the units offered for this case: the matter's collaborating kinds serving its place"


def helper_units(session: Session, definition: MatterDefinition, division_code: str) -> list[UnitRef]:
    """The units that may be asked: one of each of the matter's collaborating kinds, nearest the place."""
    found = [nearest_unit(session, kind=kind, division_code=division_code) for kind in definition.collaborator_kinds]
    return [UnitRef(id=unit.id, name=unit.name) for unit in found if unit is not None]


def _check_offered(session: Session, case: StoredCase, unit_ids: list[int]) -> None:
    definition = matters.definition_by_version_id(session, case.matter_version_id, content_hash=case.matter_hash)
    offered = {unit.id for unit in helper_units(session, definition, case.handling_division)}
    if not set(unit_ids) <= offered:
        raise InvalidInputError(NOT_OFFERED, errors=[{"field": "unit_id", "message": NOT_OFFERED}])


def ask_for_help(session: Session, *, case_id: int, data: CollaborationAsk, actor: Actor, clock: Clock) -> StoredCase:
    """The lead unit asks N units at once, each request with its own deadline and state."""
    case = load_visible(session, actor, case_id)
    if Party.LEAD not in parties_for(session, actor, case):
        raise ForbiddenError("only the lead unit asks other units for help", message_key="forbidden.ask_help")
    if CaseStatus(case.status) not in HELP_STATUSES:
        raise ConflictError(f"help is asked while the case is being handled, not while it is {case.status}")
    case = store.lock(session, case, clock.now())
    unit_ids = [request.unit_id for request in data.requests]
    if len(set(unit_ids)) != len(unit_ids) or case.lead_unit_id in unit_ids:
        raise InvalidInputError("ask each unit once, and not the lead unit itself")
    _check_offered(session, case, unit_ids)
    asked = set(session.scalars(select(CollaborationRequest.unit_id).where(CollaborationRequest.case_id == case.id)))
    if asked & set(unit_ids):
        raise ConflictError(f"already asked: {', '.join(map(str, sorted(asked & set(unit_ids))))}")
    now = clock.now()
    session.add_all(
        CollaborationRequest(
            case_id=case.id,
            unit_id=r.unit_id,
            status=HelpStatus.REQUESTED.value,
            stage=r.stage,
            request_text=r.text,
            deadline_at=now + timedelta(hours=r.deadline_hours),
            evidence=[],
            requested_at=now,
        )
        for r in data.requests
    )
    details = {"units": unit_ids, "stages": [r.stage for r in data.requests]}
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
) -> StoredCase:
    """A collaborating unit answers its own request; only that unit may, only once, and only while the case is open."""
    request = session.get(CollaborationRequest, request_id)
    if request is None or request.unit_id not in strip_units(actor):
        raise NotFoundError(f"help request {request_id} not found")
    case = store.lock(session, store.load_any(session, request.case_id), clock.now())
    session.refresh(request)
    if request.status != HelpStatus.REQUESTED:
        raise ConflictError(f"help request {request_id} is {request.status}; it takes no further reply")
    if CaseStatus(case.status) in FINISHED:
        raise ConflictError(f"the case is {case.status}; help is no longer needed")
    _check_evidence(session, case.id, data.evidence)
    now = clock.now()
    request.status, request.reply_text, request.replied_at = HelpStatus.REPLIED.value, data.text, now
    request.evidence = [e.model_dump(mode="json") for e in data.evidence]
    details = {"request_id": request.id, "unit_id": request.unit_id, "on_time": now <= request.deadline_at}
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


_CITED_PHOTOS = select(CasePhoto.id).where(
    CasePhoto.case_id == bindparam("b_case_id"), CasePhoto.id.in_(bindparam("b_ids", expanding=True))
)


def _check_evidence(session: Session, case_id: int, evidence: list[EvidenceIn]) -> None:
    """Photos cite photos of this case (`photo:<id>`); a GPS fix is `lon,lat` in degrees."""
    photos = [e.ref for e in evidence if e.kind == "photo"]
    ids = {photo for ref in photos if ref.startswith("photo:") and (photo := id_in(ref[6:])) is not None}
    if (
        len(ids) != len(photos)
        or set(session.scalars(_CITED_PHOTOS, {"b_case_id": case_id, "b_ids": sorted(ids)})) != ids
    ):
        raise InvalidInputError(
            "photo evidence must cite photos of this case as photo:<id>; upload them first",
            errors=[{"field": "evidence_photo", "message": "unknown photo"}],
        )
    if any(gps_point(e.ref) is None for e in evidence if e.kind == "gps"):
        raise InvalidInputError(
            "a GPS fix is longitude,latitude in degrees, e.g. 118.8712,28.9361",
            errors=[{"field": "evidence_gps", "message": "is not longitude,latitude"}],
        )


def insert_requests(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store many help requests whole (asked, replied or not; ids given), set-based: a bulk load of case histories.

    The cases and their timelines come first (`store.insert_many`); the caller audits and commits.
    """
    insert_rows(session, CollaborationRequest, rows)
