"""Between the stored case row and the pure lifecycle's CaseState and Transition."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

from zhili.cases.lifecycle import CaseState, CaseStatus, Evidence, Rating, Transition
from zhili.cases.models import Case
from zhili.clocks.lights import RunningLimit
from zhili.matters.definition import EvidenceKind, HandlerLevel, MatterDefinition, Phase


def to_state(case: Case) -> CaseState:
    """The pure state of a stored case."""
    evidence = tuple(Evidence(kind=EvidenceKind(e["kind"]), ref=e["ref"]) for e in json.loads(case.evidence))
    return CaseState(
        status=CaseStatus(case.status),
        lead_unit_id=case.lead_unit_id,
        version=case.version,
        rework_count=case.rework_count,
        reopen_count=case.reopen_count,
        level_up=case.level_up,
        pending_extension_hours=case.pending_extension_hours,
        granted_extension_hours=case.granted_extension_hours,
        evidence=evidence,
        evidence_verified=case.evidence_verified,
        rating=Rating(case.rating) if case.rating else None,
        phase=Phase(case.phase) if case.phase else None,
        phase_started_at=case.phase_started_at,
        reject_reason=case.reject_reason,
        last_reason=case.last_reason,
        suspended_from=CaseStatus(case.suspended_from) if case.suspended_from else None,
    )


def state_values(
    definition: MatterDefinition, state: CaseState, handler_level: str, clock: RunningLimit | None
) -> dict[str, object]:
    """The columns a new state writes, including the limit and clock (`deadlines.phase_clock`) of its phase."""
    limit = definition.limit(HandlerLevel(handler_level), state.phase) if state.phase else None
    return {
        "status": state.status.value,
        "lead_unit_id": state.lead_unit_id,
        "version": state.version,
        "rework_count": state.rework_count,
        "reopen_count": state.reopen_count,
        "level_up": state.level_up,
        "pending_extension_hours": state.pending_extension_hours,
        "granted_extension_hours": state.granted_extension_hours,
        "evidence": json.dumps([{"kind": e.kind.value, "ref": e.ref} for e in state.evidence], ensure_ascii=False),
        "evidence_verified": state.evidence_verified,
        "rating": state.rating.value if state.rating else None,
        "reject_reason": state.reject_reason,
        "last_reason": state.last_reason,
        "suspended_from": state.suspended_from.value if state.suspended_from else None,
        "phase": state.phase.value if state.phase else None,
        "phase_started_at": state.phase_started_at,
        "phase_limit_amount": limit.amount if limit else None,
        "phase_limit_unit": limit.unit if limit else None,
        "phase_due_at": clock.due_at if clock else None,
        "phase_yellow_at": clock.yellow_at if clock else None,
        "phase_calendar_basis": clock.basis if clock else None,
    }


def event_details(transition: Transition, note: dict[str, str] | None = None) -> str:
    """The event's details as JSON text, with the phase changes the clocks will need."""
    details: dict[str, object] = {**transition.event.details, **(note or {})}
    if transition.phase_ended:
        details["phase_ended"] = transition.phase_ended.value
    if transition.phase_started:
        details["phase_started"] = transition.phase_started.value
    return json.dumps(details, ensure_ascii=False, default=_plain)


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)  # type: ignore[call-overload]
    return str(value)
