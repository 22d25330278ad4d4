"""Duplicates merged into one case, and disputes over who leads decided by the level above."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases import states, store
from zhili.cases.models import CaseEvent
from zhili.cases.parties import parties_for
from zhili.cases.queries import probable_duplicates
from zhili.cases.service import add_event, apply_command, check_lead_unit, load_visible
from zhili.cases.store import StoredCase
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ConflictError, ForbiddenError, InvalidInputError


def merge_duplicate(session: Session, *, case_id: int, into_id: int, actor: Actor, clock: Clock) -> StoredCase:
    """Close a probable duplicate into another case of the same matter: it is rejected as a duplicate."""
    case, target = load_visible(session, actor, case_id), load_visible(session, actor, into_id)
    if target.id not in probable_duplicates(session, actor, case):
        raise InvalidInputError(
            f"case {target.number} is not a probable duplicate of {case.number}: same matter, near in place and time"
        )
    if target.duplicate_of_id is not None:
        raise ConflictError(f"case {target.number} is itself a duplicate; merge into {target.duplicate_of_id}")
    parties = parties_for(session, actor, case)
    # The reason is read on the Chinese case page, in the reporter's notice and by Open311 clients: Chinese
    # only, like a reason typed on the pages (the merge itself is `duplicate_of_id` and the `merged` line).
    command = states.Reject(parties=parties, reason=f"重复上报，已并入 {target.number}")
    case = apply_command(
        session, case, command, actor=actor, now=clock.now(), extra={"duplicate_of_id": target.id}, event_kind="merged"
    )
    commit(session)
    return case


# The timeline lines that give a case its lead or take it away: the latest says whether a dispute is open.
LEAD_EVENTS = ("dispatch", "lead_decided", "return", "escalate")


def lead_dispute_open(status: str, kinds: Iterable[str]) -> bool:
    """Whether the lead is in dispute: the case awaits dispatch because the unit it was dispatched to returned it.

    `kinds` are the timeline's event kinds in order. A case never dispatched, dispatched again since the
    return, or escalated (handed to the level above, which then dispatches it) is not in dispute.
    """
    if status != states.CaseStatus.ACCEPTED:
        return False
    last = next((kind for kind in reversed(list(kinds)) if kind in LEAD_EVENTS), None)
    return last == "return"


# The line by which the command room hands a dispute to the level above (提请上级裁定); it gives no lead.
REFERRED = "dispute_referred"


def referable(status: str, kinds: Iterable[str]) -> bool:
    """Whether the command room may refer the dispute: one is open and it was not referred since the return."""
    found = [kind for kind in kinds if kind in (*LEAD_EVENTS, REFERRED)]
    return lead_dispute_open(status, found) and found[-1] != REFERRED


def referred_and_open(status: str, kinds: Iterable[str]) -> bool:
    """Whether the dispute is with the level above: referred since the return, no lead decided or dispatched yet."""
    found = [kind for kind in kinds if kind in (*LEAD_EVENTS, REFERRED)]
    return bool(found) and found[-1] == REFERRED and lead_dispute_open(status, found)


def refer_dispute(session: Session, *, case_id: int, reason: str, actor: Actor, clock: Clock) -> StoredCase:
    """提请上级裁定: the command room asks the level above to name the lead of a case its lead unit returned.

    The level above's centre is told, with a link to the case page's 裁定牵头部门 form.
    """
    case = load_visible(session, actor, case_id)
    parties = parties_for(session, actor, case)
    if states.Party.DISPATCHER not in parties:
        raise ForbiddenError(
            "the command room that dispatches the case refers a dispute over its lead",
            message_key="forbidden.dispute_refer",
        )
    now = clock.now()
    # The row's lock before the check: two referrals at once (PostgreSQL) queue here, and the second sees the first.
    case = store.lock(session, case, now)
    kinds = session.scalars(
        select(CaseEvent.kind)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind.in_((*LEAD_EVENTS, REFERRED)))
        .order_by(CaseEvent.seq)
    ).all()
    if not referable(case.status, kinds):
        raise ConflictError(
            f"case {case.number} has no dispute to refer: the lead unit returned it, and it was not referred since"
        )
    details = {"reason": reason}
    add_event(
        session,
        case,
        kind=REFERRED,
        actor=actor,
        parties=frozenset({states.Party.DISPATCHER}),
        details=details,
        at=now,
    )
    audit.record_by(
        session, actor, "case.dispute_referred", entity_type="case", entity_id=case.id, after={"reason": reason}, at=now
    )
    commit(session)
    return case


def decide_lead(
    session: Session, *, case_id: int, lead_unit_id: int, reason: str, actor: Actor, clock: Clock
) -> StoredCase:
    """The level above settles a dispute over responsibility: it names the lead and dispatches to it."""
    case = load_visible(session, actor, case_id)
    if states.Party.SUPERVISOR not in parties_for(session, actor, case):
        raise ForbiddenError(
            "a dispute over responsibility is decided by the level above the command room",
            message_key="forbidden.dispute_decide",
        )
    check_lead_unit(session, case, lead_unit_id)
    if case.status != states.CaseStatus.ACCEPTED:
        raise ConflictError(f"a lead is decided while the case awaits dispatch, not while it is {case.status}")
    kinds = session.scalars(
        select(CaseEvent.kind)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind.in_(LEAD_EVENTS))
        .order_by(CaseEvent.seq.desc())
        .limit(1)
    ).all()
    if not lead_dispute_open(case.status, kinds):
        raise ConflictError(
            f"case {case.number} has no dispute over its lead: the level above decides after the lead unit returned it"
        )
    # The decision is binding: it dispatches on behalf of the command room and is recorded as such.
    command = states.Dispatch(parties=frozenset({states.Party.DISPATCHER}), lead_unit_id=lead_unit_id)
    case = apply_command(
        session,
        case,
        command,
        actor=actor,
        now=clock.now(),
        event_kind="lead_decided",
        note={"reason": reason, "decided_by": "supervisor"},
    )
    commit(session)
    return case
