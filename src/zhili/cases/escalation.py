"""The escalation ladder on cases: lights and rungs fired by the clock, and supervision by hand.

A fired rung writes a supervision card, a line on the case's timeline, an audit record and the
notifications to the people the rung is for, all in the firing transaction:

- yellow light, red light, urge (催办), supervision (督办): the handler of the phase;
- yellow card (黄牌): the handler and the handler's supervisor;
- red card (红牌) and leader instruction (批示): the handler, the supervisor and the county centre.

The handler is the lead unit while it signs and handles, and the dispatching centre while the case
is accepted or verified. Of the lead unit, those are told who are told of its turns (`lead_audience`:
the grid's contact officer, the heads, the desk and whoever of it acted on the case), not every post.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, insert, or_, select
from sqlalchemy.orm import Session

from zhili.cases.deadlines import WaitingLadder, held_ladder, schedule_ladders
from zhili.cases.handoffs import deadline_line, place_name
from zhili.cases.lead_audience import told_for_cases
from zhili.cases.models import Case, SupervisionCard
from zhili.cases.store import APPEND_EVENT
from zhili.clocks.firing import DueTimer
from zhili.clocks.lights import Light
from zhili.core import audit
from zhili.core.clock import FrozenClock
from zhili.matters import queries as matters
from zhili.matters.definition import EscalationAction, Phase
from zhili.notify.batch import Letter, notify_each
from zhili.notify.kinds import Severity
from zhili.notify.service import Notice
from zhili.notify.wording import Name, Part, Words
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.models import Position
from zhili.org.roles import Role
from zhili.org.routing import centre_posts, parent_code

CLOCK_ACTOR = "system:clock"
LIGHT_STEPS = frozenset({Light.YELLOW.value, Light.RED.value})
RED_STEPS = frozenset({Light.RED.value, EscalationAction.RED_CARD.value, EscalationAction.LEADER_INSTRUCTION.value})
TO_SUPERVISOR = frozenset({EscalationAction.YELLOW_CARD.value, *RED_STEPS} - {Light.RED.value})
TO_COUNTY = frozenset({EscalationAction.RED_CARD.value, EscalationAction.LEADER_INSTRUCTION.value})
_CASE_COLUMNS = (
    Case.id,
    Case.number,
    Case.status,
    Case.phase,
    Case.phase_started_at,
    Case.phase_due_at,
    Case.lead_unit_id,
    Case.routed_unit_id,
    Case.dispatcher_division,
    Case.handling_division,
    Case.matter_code,
    Case.matter_version_id,
    Case.place_code,
)


@dataclass(frozen=True)
class LadderCase:
    """What a rung needs to know about its case."""

    id: int
    number: str
    status: str
    phase: str | None
    phase_started_at: datetime | None
    phase_due_at: datetime | None
    lead_unit_id: int | None
    routed_unit_id: int
    dispatcher_division: str
    handling_division: str
    matter_code: str
    matter_version_id: int
    place_code: str


@dataclass(frozen=True)
class Rung:
    """One rung to issue on one case."""

    case: LadderCase
    step: str
    share: float | None
    is_manual: bool
    issued_by: str
    note: str
    key: str


def fire_ladder(session: Session, due: Sequence[DueTimer], now: datetime) -> None:
    """The `case.ladder` timer handler: issue every rung due on a phase still running; keep the rest waiting.

    A case's timer holds its phase's whole ladder (`cases.deadlines`): the rungs due by `now` are
    issued together (the worker may have been away past several), and the row is written again,
    due at the next rung, for those still ahead. A timer of a phase run that has ended issues nothing.
    """
    cases = lock_cases(session, {timer.subject_id for timer in due})
    rungs: list[Rung] = []
    ahead: list[WaitingLadder] = []
    for timer in due:
        case = cases.get(timer.subject_id)
        if case is None or not _still_running(case, timer):
            continue
        fired, later = held_ladder(timer).split(now)
        rungs += [
            Rung(
                case=case,
                step=rung.step,
                share=rung.share,
                is_manual=False,
                issued_by=CLOCK_ACTOR,
                note="",
                key=f"case:{timer.subject_id}:{rung.step}:{timer.generation}",
            )
            for rung in fired
        ]
        ahead.append(later)
    issue(session, rungs, now=now)
    # The fired rows are deleted after this (by `clocks.firing`, by id: a row deleted here could hand
    # its id on to the new one on SQLite). The new row is named by its next rung, never the fired
    # row's, since a definition names each escalation action once.
    schedule_ladders(session, ahead, now=now)


def lock_cases(session: Session, case_ids: set[int]) -> dict[int, LadderCase]:
    """Read and lock the cases (in id order, so concurrent firings never deadlock)."""
    statement = select(*_CASE_COLUMNS).where(Case.id.in_(sorted(case_ids))).order_by(Case.id).with_for_update()
    return {row["id"]: LadderCase(**row) for row in session.execute(statement).mappings()}


def _still_running(case: LadderCase | None, timer: DueTimer) -> bool:
    """A timer belongs to the phase run it was scheduled for; anything else is stale."""
    if case is None or case.phase is None or case.phase_started_at is None:
        return False
    return bool(
        case.phase == timer.payload.get("phase")
        and case.phase_started_at.isoformat() == timer.payload.get("started_at")
    )


def issue(session: Session, rungs: Sequence[Rung], *, now: datetime) -> None:
    """Write the cards, timeline lines, audit records and notifications of these rungs."""
    if not rungs:
        return
    cards = [_card_row(rung, now) for rung in rungs if rung.step not in LIGHT_STEPS]
    if cards:
        session.execute(insert(SupervisionCard), cards)
    session.connection().execute(APPEND_EVENT, [_event_row(rung, now) for rung in rungs])
    audit.record_many(session, [_audit_entry(rung) for rung in rungs], at=now)
    audiences: dict[tuple[object, ...], frozenset[int]] = {}
    # The lead unit's told, for the rungs of its phases (`told_for_cases` reads the case's unit as `handler_unit`).
    lead = told_for_cases(session, {rung.case.id for rung in rungs if handler_unit(rung.case) is not None})
    matter_names: dict[int, Name] = {}  # a batch's cases share a few matters
    letters = [
        Letter(_notice(session, rung, matter_names, now), _people(session, rung, audiences, lead)) for rung in rungs
    ]
    notify_each(session, letters, clock=FrozenClock(now))


def handler_unit(case: LadderCase) -> int | None:
    """The unit answering for the running phase (None while the centre accepts or verifies)."""
    if case.phase in {Phase.SIGN.value, Phase.HANDLE.value}:
        return int(case.lead_unit_id or case.routed_unit_id)
    return None


def _card_row(rung: Rung, now: datetime) -> dict[str, Any]:
    return {
        "case_id": rung.case.id,
        "action": rung.step,
        "phase": rung.case.phase,
        "unit_id": handler_unit(rung.case),
        "county_code": _county(rung.case.handling_division),
        "is_manual": rung.is_manual,
        "issued_by": rung.issued_by,
        "issued_at": now,
        "note": rung.note,
    }


def _details(rung: Rung) -> dict[str, Any]:
    due = rung.case.phase_due_at
    return {
        "step": rung.step,
        "phase": rung.case.phase,
        "share": rung.share,
        "due_at": due.isoformat() if due else None,
        "manual": rung.is_manual,
        "note": rung.note,
    }


def event_kind(step: str) -> str:
    """The timeline kind of a rung: `light_yellow`, `light_red`, or the rung's own name."""
    return f"light_{step}" if step in LIGHT_STEPS else step


def _event_row(rung: Rung, now: datetime) -> dict[str, Any]:
    return {
        "case_id": rung.case.id,
        "b_case_id": rung.case.id,
        "kind": event_kind(rung.step),
        "at": now,
        "actor": rung.issued_by,
        "parties": "supervisor" if rung.is_manual else "system",
        "status_after": rung.case.status,
        "details": _details(rung),
    }


def _audit_entry(rung: Rung) -> audit.AuditEntry:
    return audit.AuditEntry(
        actor=rung.issued_by,
        role="supervisor" if rung.is_manual else "system",
        action=f"case.{event_kind(rung.step)}",
        entity_type="case",
        entity_id=str(rung.case.id),
        after=_details(rung),
    )


def _notice(session: Session, rung: Rung, matter_names: dict[int, Name], now: datetime) -> Notice:
    """A rung's notice, worded as every hand-off's (`handoffs`): the step, the matter and the place; the deadline."""
    case = rung.case
    if case.matter_version_id not in matter_names:
        definition = matters.definition_by_version_id(session, case.matter_version_id)
        matter_names[case.matter_version_id] = Name(definition.name_zh, definition.name_en or definition.name_zh)
    matter, place = matter_names[case.matter_version_id], place_name(session, case.place_code)
    lines: list[Part] = [
        Words("notice.case.case", {"number": case.number, "matter": matter}),
        Words("notice.case.place", {"place": place}),
    ]
    if case.phase:
        lines.append(Words("notice.case.phase", {"phase": Name.label(f"phase.{case.phase}")}))
    if case.phase_due_at:
        lines.append(deadline_line(case.phase, case.phase_due_at))
    if rung.note:
        lines.append(Words("notice.case.opinion", {"text": rung.note}))
    return Notice.worded(
        topic=f"case.{event_kind(rung.step)}",
        severity=Severity.RED if rung.step in RED_STEPS else Severity.YELLOW,
        title=Words(f"notice.case.rung.{event_kind(rung.step)}", {"matter": matter, "place": place}),
        body=lines,
        key=rung.key,
        now=now,
        link=f"/cases/{case.id}#actions",  # where the handler acts, as every hand-off's link
        subject=f"case:{case.id}",
    )


def _county(division_code: str) -> str:
    return DivisionCode(division_code).at_most(DivisionLevel.COUNTY).value


def _people(
    session: Session,
    rung: Rung,
    audiences: dict[tuple[object, ...], frozenset[int]],
    lead: Mapping[int, frozenset[int]],
) -> tuple[int, ...]:
    """The rung's recipients: the lead unit's told (`lead`, by case) and those above, looked up once per audience."""
    case = rung.case
    audience = (
        handler_unit(case),
        case.dispatcher_division,
        _county(case.handling_division),
        rung.step in TO_SUPERVISOR,
        rung.step in TO_COUNTY,
    )
    if audience not in audiences:
        above = recipients(case, rung.step)
        audiences[audience] = frozenset(session.scalars(above)) if above is not None else frozenset()
    return tuple(sorted(audiences[audience] | lead.get(case.id, frozenset())))


def recipients(case: LadderCase, step: str) -> Select[int] | None:
    """The people a rung is for besides the lead unit's told: the centre handling, the supervisor, the county centre.

    None when there is nobody besides (a lead unit's urge, say).
    """
    unit = handler_unit(case)
    conditions: list[ColumnElement[bool]] = []
    if unit is None:
        conditions.append(centre_posts(case.dispatcher_division))
    if step in TO_SUPERVISOR:
        conditions.append(
            Position.id.in_(
                select(Position.supervisor_id).where(Position.department_id == unit, Position.role == Role.DEPT_HEAD)
            )
            if unit is not None
            else centre_posts(parent_code(case.dispatcher_division))
        )
    if step in TO_COUNTY:
        conditions.append(centre_posts(_county(case.handling_division)))
    return select(Position.person_id).where(or_(*conditions)).distinct() if conditions else None
