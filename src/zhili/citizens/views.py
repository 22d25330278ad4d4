"""A case as its reporter sees it through the tracking link: where it is, who handles it, what was done.

The citizen sees the steps that answer "where is my report?" in their own words, the result the
lead replied and the reasons given to them; not the staff's names, the help requests between units,
the meetings, the cards or the photos (`PUBLIC_STEPS` keeps the kinds shown).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.models import CaseEvent
from zhili.cases.page_names import place_paths
from zhili.cases.states import CaseStatus
from zhili.cases.store import StoredCase
from zhili.matters import queries as matters
from zhili.org.models import Department

# The timeline lines a reporter is shown, each by its message `citizen.step.<kind>`.
PUBLIC_STEPS = frozenset(
    {
        "report",
        "accept",
        "reject",
        "dispatch",
        "lead_decided",
        "sign",
        "return",
        "start",
        "escalate",
        "approve_extension",
        "suspend",
        "resume",
        "reply",
        "verify",
        "verify_failed",
        "close",
        "rate",
        "merged",
        "archive",
    }
)
# What a line says besides its kind, by the detail that holds it.
_SAID = {"reply": "text", "reject": "reason", "merged": "reason", "verify_failed": "reason", "rate": "comment"}


@dataclass(frozen=True, slots=True)
class PublicStep:
    """One line of the public timeline: when, what (a message key's kind), for whom, and what was said."""

    at: datetime
    kind: str
    unit: str  # the unit a dispatch gave the case to, else ""
    said: str
    rating: str | None


@dataclass(frozen=True, slots=True)
class TrackedView:
    """What the tracking link shows."""

    case: StoredCase
    matter_zh: str
    matter_en: str
    place: str
    lead_unit: str
    steps: list[PublicStep]
    may_rate: bool
    is_open: bool


def tracked_view(session: Session, case: StoredCase) -> TrackedView:
    """The case in public words: its matter and place by name, its lead unit, its public timeline."""
    definition = matters.definition_by_version_id(session, case.matter_version_id, content_hash=case.matter_hash)
    facts = session.execute(  # the details are a typed JSON column: each line's facts as a dict
        select(CaseEvent.kind, CaseEvent.at, CaseEvent.details)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind.in_(PUBLIC_STEPS))
        .order_by(CaseEvent.seq)
    ).all()
    unit_ids = {f["lead_unit_id"] for _, _, f in facts if isinstance(f.get("lead_unit_id"), int)}
    if case.lead_unit_id is not None:
        unit_ids.add(case.lead_unit_id)
    names = dict(session.execute(select(Department.id, Department.name).where(Department.id.in_(unit_ids))).all())
    steps = [
        PublicStep(
            at=at,
            kind=kind,
            unit=_unit_named(names, f) if kind in {"dispatch", "lead_decided"} else "",
            said=str(f.get(_SAID.get(kind, ""), "") or ""),
            rating=str(f["rating"]) if kind == "rate" and f.get("rating") else None,
        )
        for kind, at, f in facts
    ]
    finished = {CaseStatus.REJECTED, CaseStatus.CLOSED, CaseStatus.RATED, CaseStatus.ARCHIVED}
    return TrackedView(
        case=case,
        matter_zh=definition.name_zh,
        matter_en=definition.name_en,
        place=place_paths(session, [case.place_code]).get(case.place_code, case.place_code),
        lead_unit=names.get(case.lead_unit_id, "") if case.lead_unit_id is not None else "",
        steps=steps,
        may_rate=case.state.status is CaseStatus.CLOSED,
        is_open=case.state.status not in finished,
    )


def _unit_named(names: dict[int, str], facts: dict[str, Any]) -> str:
    unit = facts.get("lead_unit_id")
    return names.get(unit, "") if isinstance(unit, int) else ""
