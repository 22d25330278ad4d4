"""The centre's call-back on a rated case (回访复核): the citizen's rating upheld, or overturned with a reason.

After a citizen rates a closed case, the dispatching centre (or the level above, the parties that
supervise) may call back or spot-check once. A rating that does not stand (a "satisfied" given while
the problem was not solved, a rating obtained by pressure) is overturned (评价被推翻): the timeline
gets a `rating_overturned` line naming the rating and the reason, which the assessment counts
against the case's lead unit (`cases.record_queries.overturned_ratings`). An upheld rating is
recorded as `rating_upheld` and costs nothing. The case keeps its status and rating: the review is
a record about the rating, not a step of the lifecycle.

No hand-off turn is defined for these lines (`handoffs.TURNS`), so this module tells the lead unit's
people itself, with a link to the case's timeline.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from zhili.cases import store
from zhili.cases.handoffs import place_name
from zhili.cases.lead_audience import told_in
from zhili.cases.models import CaseEvent
from zhili.cases.schemas import RatingReviewCreate, RatingReviewRead, UnitRef
from zhili.cases.service import add_event, load_as_party
from zhili.cases.states import CaseStatus, Party
from zhili.cases.store import StoredCase
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock, FrozenClock
from zhili.core.db import commit
from zhili.core.errors import ConflictError, ForbiddenError, InvalidInputError
from zhili.matters import queries as matters
from zhili.notify.kinds import Severity
from zhili.notify.service import notify
from zhili.notify.wording import Name, Part, Words
from zhili.org.models import Department, Position

OVERTURNED, UPHELD = "rating_overturned", "rating_upheld"
KIND_OF = {"overturned": OVERTURNED, "upheld": UPHELD}
REVIEW_KINDS = frozenset(KIND_OF.values())
REVIEWERS = frozenset({Party.DISPATCHER, Party.SUPERVISOR})  # as `supervision.SUPERVISING`

_REVIEWED = (
    select(CaseEvent.id)
    .where(CaseEvent.case_id == bindparam("b_case_id"), CaseEvent.kind.in_(sorted(REVIEW_KINDS)))
    .limit(1)
)
_UNIT = select(Department.id, Department.name).where(Department.id == bindparam("b_unit_id"))


def may_review(status: str, parties: Iterable[str], *, is_admin: bool, kinds: Collection[str]) -> bool:
    """Whether a viewer may review this case's rating now: rated, not yet reviewed, and they supervise it."""
    supervises = is_admin or bool({p.value for p in REVIEWERS} & set(parties))
    return status == CaseStatus.RATED and supervises and not REVIEW_KINDS & set(kinds)


def review_rating(
    session: Session, *, case_id: int, outcome: str, reason: str, actor: Actor, clock: Clock
) -> RatingReviewRead:
    """Uphold or overturn the citizen's rating of a rated case, once, with a reason (the centre's call-back)."""
    body = _checked(outcome, reason)
    case, parties = load_as_party(session, actor, case_id)
    if not (actor.is_admin or parties & REVIEWERS):
        raise ForbiddenError(
            "only the dispatching centre and the level above review a case's rating",
            message_key="forbidden.rating_review",
        )
    now = clock.now()
    store.lock(session, case, now)
    case = store.load_any(session, case.id)  # as it stands under the lock: not archived meanwhile
    if case.status != CaseStatus.RATED:
        raise ConflictError(f"the case is {case.status}; only a rated case's rating is reviewed")
    if session.scalar(_REVIEWED, {"b_case_id": case.id}) is not None:
        raise ConflictError("this case's rating has been reviewed already; a rating is reviewed once")
    unit = _lead_unit(session, case)
    rating = case.state.rating.value if case.state.rating else ""
    facts: dict[str, object] = {
        "outcome": body.outcome,
        "rating": rating,
        "reason": body.reason,
        "lead_unit_id": unit.id if unit else None,
    }
    kind = KIND_OF[body.outcome]
    seq = _record(session, case, kind=kind, facts=facts, parties=parties & REVIEWERS, actor=actor, at=now)
    commit(session)
    return RatingReviewRead(
        case_id=case.id,
        case_number=case.number,
        outcome=body.outcome,
        rating=rating,
        reason=body.reason,
        lead_unit=unit,
        reviewed_by=actor.display_name,
        reviewed_at=now,
        seq=seq,
    )


def _record(
    session: Session,
    case: StoredCase,
    *,
    kind: str,
    facts: dict[str, object],
    parties: frozenset[Party],
    actor: Actor,
    at: datetime,
) -> int:
    """The timeline line, its audit record and the lead's notice; the line's number."""
    names = frozenset(p.value for p in parties)
    seq = add_event(session, case, kind=kind, actor=actor, parties=names, details=facts, at=at)
    audit.record_by(session, actor, f"case.{kind}", entity_type="case", entity_id=case.id, after=facts, at=at)
    _tell_lead(session, case, kind=kind, facts=facts, actor=actor, seq=seq, at=at)
    return seq


def _checked(outcome: str, reason: str) -> RatingReviewCreate:
    """The review's input by the API's rules, for every caller (a refusal names `body.outcome` / `body.reason`)."""
    try:
        return RatingReviewCreate.model_validate({"outcome": outcome, "reason": reason})
    except ValidationError as exc:
        errors = [
            {"field": ".".join(("body", *map(str, e["loc"]))), "message": e["msg"], "type": e["type"]}
            for e in exc.errors()
        ]
        raise InvalidInputError("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors) from exc


def _lead_unit(session: Session, case: StoredCase) -> UnitRef | None:
    unit_id = case.lead_unit_id or case.routed_unit_id
    row = session.execute(_UNIT, {"b_unit_id": unit_id}).first()
    return UnitRef(id=row.id, name=row.name) if row else None


def _tell_lead(
    session: Session, case: StoredCase, *, kind: str, facts: dict[str, object], actor: Actor, seq: int, at: datetime
) -> None:
    """Who of the lead unit is told of its turns (`lead_audience`) learns the outcome and reason, with a link."""
    unit_id = facts["lead_unit_id"]
    if not isinstance(unit_id, int):
        return
    people = select(Position.person_id).where(
        told_in(unit_id, case.grid_code, case.id), Position.person_id != (actor.person_id or -1)
    )
    definition = matters.definition_by_version_id(session, case.matter_version_id, content_hash=case.matter_hash)
    matter = Name(definition.name_zh, definition.name_en or definition.name_zh)
    lines: list[Part] = [
        Words("notice.case.case", {"number": case.number, "matter": matter}),
        Words("notice.case.rating", {"rating": Name.label(f"rating.{facts['rating']}")}),
        Words("notice.case.review_reason", {"text": str(facts["reason"])}),
        Words("notice.case.reviewer", {"name": actor.display_name}),
    ]
    notify(
        session,
        recipients=people,
        topic=f"case.{kind}",
        severity=Severity.YELLOW if kind == OVERTURNED else Severity.INFO,
        title=Words(
            "notice.case.review",
            {"heading": Name.label(f"event.{kind}"), "matter": matter, "place": place_name(session, case.place_code)},
        ),
        body=lines,
        key=f"case:{case.id}:event:{seq}",
        clock=FrozenClock(at),
        link=f"/cases/{case.id}#timeline",
        subject=f"case:{case.id}",
    )
