"""The case record as assessment reads it: timeline lines and supervision cards as scored facts.

Each function returns a `Select` (not rows) with the same columns, so the assessment can put them
side by side in one `UNION ALL`, count and sum them with `GROUP BY` and freeze them with
`INSERT … SELECT`, never looping over rows in Python:

| column | meaning |
|---|---|
| `subject_id` | who answers for the line, as text: the dispatching division's code, the unit's id or the person's id |
| `case_id`, `case_number` | the case |
| `event_kind` | the line's kind (`dispatch`, `verify_failed`, `rate`, `rating_overturned`, `red_card` …) |
| `at` | when it happened |
| `ref` | the line (`event:<id>`) or card (`card:<id>`) |
| `bad` | 1 for a line that costs points (late, failed, returned, dissatisfied, reopened, overturned, a card), else 0 |
| `value` | 0 (a number for rated facts elsewhere) |

Who answers (rule of the case engine, `cases.escalation.handler_unit`): a division is the case's
dispatching division (its command room or centre accepts and verifies); a unit is the lead unit
(before a return: the unit that returned it); a person is the one who wrote the line (`person:<id>:…`
in the demo, `account:<id>:…` through a login, resolved to its person). Cases count in the county
of their place. This module reads the cases' tables so that the assessment never does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    column,
    func,
    literal,
    or_,
    select,
    table,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import CTE

from zhili.cases.models import Case, CaseEvent, SupervisionCard
from zhili.cases.visibility import visible_cases
from zhili.core.auth import Actor
from zhili.core.sql_json import json_text, json_true
from zhili.org.division_code import DivisionCode

DIVISION, UNIT, PERSON = "division", "unit", "person"
_ACCOUNTS = table("accounts", column("id", Integer), column("person_id", Integer))


class _ActorId(FunctionElement[int]):
    """The id inside an actor string `kind:<id>:name` (SQLite: instr/substr; PostgreSQL: split_part)."""

    type = Integer()
    name = "actor_id"
    inherit_cache = True


@compiles(_ActorId, "sqlite")
def _actor_id_sqlite(element: _ActorId, compiler: SQLCompiler, **kw: Any) -> str:
    (text,) = (compiler.process(clause, **kw) for clause in element.clauses)
    rest = f"substr({text}, instr({text}, ':') + 1)"
    return f"CAST(substr({rest}, 1, instr({rest}, ':') - 1) AS INTEGER)"


@compiles(_ActorId)
def _actor_id_default(element: _ActorId, compiler: SQLCompiler, **kw: Any) -> str:
    (text,) = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(NULLIF(split_part({text}, ':', 2), '') AS INTEGER)"


def actor_person(actor: Any) -> ColumnElement[int | None]:
    """The person behind an actor string: `person:<id>:…` directly, `account:<id>:…` through the account."""
    account = select(_ACCOUNTS.c.person_id).where(_ACCOUNTS.c.id == _ActorId(actor)).scalar_subquery()
    return case(
        (actor.like("person:%:%"), _ActorId(actor)),
        (actor.like("account:%:%"), account),
        else_=None,
    )


# The kinds of line the assessment reads besides those that end a phase.
_SCORED_KINDS = ("verify", "verify_failed", "dispatch", "return", "rate", "rating_upheld", "rating_overturned")


def month_events(*, county: str, since: datetime, until: datetime) -> CTE:
    """The county's scored timeline lines of [since, until), read once (a materialized CTE) with their fields.

    Every fact function below selects from it, so a month's statement reads the timeline once however
    many indicators the model has. Columns: `id`, `case_id`, `case_number`, `kind`, `at`,
    `status_after`, `phase_ended`, `phase_late` (1/0), `rating`, and who answers: `division`, `unit`, `person`.
    """
    unit = func.coalesce(
        cast(json_text(CaseEvent.details, "from_lead_unit_id"), Integer), Case.lead_unit_id, Case.routed_unit_id
    )
    ended = json_text(CaseEvent.details, "phase_ended")
    statement = (
        select(
            CaseEvent.id.label("id"),
            CaseEvent.case_id.label("case_id"),
            Case.number.label("case_number"),
            CaseEvent.kind.label("kind"),
            CaseEvent.at.label("at"),
            CaseEvent.status_after.label("status_after"),
            ended.label("phase_ended"),
            case((json_true(CaseEvent.details, "phase_late"), 1), else_=0).label("phase_late"),
            json_text(CaseEvent.details, "rating").label("rating"),
            cast(Case.dispatcher_division, String).label("division"),
            cast(unit, String).label("unit"),
            cast(actor_person(CaseEvent.actor), String).label("person"),
        )
        .join(Case, Case.id == CaseEvent.case_id)
        .where(
            CaseEvent.at >= since,
            CaseEvent.at < until,
            # The county's cases as a set of ids, tested against the instant index's entries
            # (`ix_case_events_at_case` holds the case): only the county's lines are read, not the
            # province's month. `+ 0` keeps SQLite from walking every line of each case instead.
            (CaseEvent.case_id + 0).in_(select(Case.id).where(DivisionCode(county).subtree(Case.place_code))),
            or_(ended.is_not(None), CaseEvent.kind.in_(_SCORED_KINDS)),
        )
    )
    return statement.cte("month_events").prefix_with("MATERIALIZED")


def _event_facts(events: CTE, subject: str, condition: ColumnElement[bool], bad: ColumnElement[bool]) -> Select[Any]:
    if subject not in {DIVISION, UNIT, PERSON}:
        raise ValueError(f"unknown subject kind {subject!r}")
    subject_id = events.c[subject]
    return select(
        subject_id.label("subject_id"),
        events.c.case_id,
        events.c.case_number,
        events.c.kind.label("event_kind"),
        events.c.at,
        ("event:" + cast(events.c.id, String)).label("ref"),
        case((bad, 1), else_=0).label("bad"),
        literal(0.0).label("value"),
    ).where(condition, subject_id.is_not(None))


def phase_ends(events: CTE, *, subject: str, phases: Sequence[str]) -> Select[Any]:
    """Lines that ended one of `phases`; bad when the phase ended after its due time."""
    return _event_facts(events, subject, events.c.phase_ended.in_(list(phases)), events.c.phase_late == 1)


def verifications(events: CTE, *, subject: str) -> Select[Any]:
    """Verification lines; bad when verification failed (rework)."""
    return _event_facts(
        events, subject, events.c.kind.in_(["verify", "verify_failed"]), events.c.kind == "verify_failed"
    )


def returns(events: CTE, *, subject: str) -> Select[Any]:
    """Dispatch and return lines; bad when the case was returned to triage."""
    return _event_facts(events, subject, events.c.kind.in_(["dispatch", "return"]), events.c.kind == "return")


def ratings(events: CTE, *, subject: str, reopened: bool = False) -> Select[Any]:
    """Citizens' rating lines; bad when dissatisfied (or, with `reopened`, when the rating reopened the case)."""
    bad = events.c.status_after == "reopened" if reopened else events.c.rating == "dissatisfied"
    return _event_facts(events, subject, events.c.kind == "rate", bad)


def rating_reviews(events: CTE, *, subject: str) -> Select[Any]:
    """The centre's reviews of ratings (回访复核, `cases.rating_review`); bad when the rating was overturned."""
    return _event_facts(
        events,
        subject,
        events.c.kind.in_(["rating_upheld", "rating_overturned"]),
        events.c.kind == "rating_overturned",
    )


def cards(*, subject: str, county: str, since: datetime, until: datetime, action: str) -> Select[Any]:
    """Supervision cards of one kind issued in [since, until): to the unit, or (no unit) to the dispatching division."""
    if subject == UNIT:
        subject_id: ColumnElement[Any] = cast(SupervisionCard.unit_id, String)
        holder = SupervisionCard.unit_id.is_not(None)
    elif subject == DIVISION:
        subject_id = cast(Case.dispatcher_division, String)
        holder = SupervisionCard.unit_id.is_(None)
    else:
        raise ValueError(f"cards are not issued to a {subject}")
    return (
        select(
            subject_id.label("subject_id"),
            SupervisionCard.case_id.label("case_id"),
            Case.number.label("case_number"),
            SupervisionCard.action.label("event_kind"),
            SupervisionCard.issued_at.label("at"),
            ("card:" + cast(SupervisionCard.id, String)).label("ref"),
            literal(1).label("bad"),
            literal(0.0).label("value"),
        )
        .join(Case, Case.id == SupervisionCard.case_id)
        .where(
            SupervisionCard.issued_at >= since,
            SupervisionCard.issued_at < until,
            SupervisionCard.action == action,
            DivisionCode(county).subtree(Case.place_code),
            holder,
        )
    )


def worked_together(*, county: str, since: datetime, until: datetime) -> Select[str, int]:
    """(dispatching division, lead unit) pairs with a line in [since, until): who rates whom in the cross-evaluation."""
    unit = func.coalesce(Case.lead_unit_id, Case.routed_unit_id)
    return (
        select(Case.dispatcher_division.label("division_code"), unit.label("unit_id"))
        .where(
            DivisionCode(county).subtree(Case.place_code),
            Case.id.in_(select(CaseEvent.case_id).where(and_(CaseEvent.at >= since, CaseEvent.at < until))),
        )
        .distinct()
    )


def late_phase_ends(session: Session, *, since: datetime, until: datetime) -> list[LatePhase]:
    """Every phase that ended late in [since, until), with whom it was due from (for the demo's cards)."""
    ended = json_text(CaseEvent.details, "phase_ended")
    rows = session.execute(
        select(
            CaseEvent.case_id,
            ended,
            json_text(CaseEvent.details, "phase_due_at"),
            CaseEvent.at,
            func.coalesce(Case.lead_unit_id, Case.routed_unit_id),
            Case.handling_division,
        )
        .join(Case, Case.id == CaseEvent.case_id)
        .where(
            CaseEvent.at >= since,
            CaseEvent.at < until,
            ended.is_not(None),
            json_true(CaseEvent.details, "phase_late"),
        )
        .order_by(CaseEvent.id)
    )
    return [LatePhase(*row) for row in rows]


@dataclass(frozen=True)
class LatePhase:
    """A phase that ended after its due time: the case, the phase, when it was due and ended, who led, where."""

    case_id: int
    phase: str
    due_at: str
    ended_at: datetime
    unit_id: int
    handling_division: str


def visible_case_ids(session: Session, actor: Actor, case_ids: Iterable[int]) -> set[int]:
    """Those of these cases the actor may see (a breakdown names only those; the others keep their points)."""
    wanted = sorted(set(case_ids))
    if not wanted:
        return set()
    return set(session.scalars(select(Case.id).where(Case.id.in_(wanted), visible_cases(actor))))


def latest_case_county(session: Session, actor: Actor) -> str | None:
    """The county of the newest case the actor may see: where a reader over several counties is most likely to look."""
    place = session.scalar(select(Case.place_code).where(visible_cases(actor)).order_by(Case.id.desc()).limit(1))
    return place[:6] if place else None
