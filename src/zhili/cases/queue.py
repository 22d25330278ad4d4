"""The case queue's filters, search, sort and cursors, and the workbench's to-do counts: one set of conditions.

A count on the workbench and the queue it links to use the same `CaseFilter`, so the number on the
tile is the number of rows the queue shows. Every condition is added to `visible_cases(actor)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal, TypeVar, get_args

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from zhili.cases.models import Case, CollaborationRequest
from zhili.cases.parties import held_blocks
from zhili.cases.schemas import CITIZEN_CHANNELS
from zhili.cases.states import CaseStatus, HelpStatus
from zhili.cases.visibility import strip_units, visible_cases
from zhili.core.auth import Actor, Scope
from zhili.core.db import UtcDateTime
from zhili.core.local_time import LOCAL_ZONE
from zhili.core.pagination import Key, decode_cursor, encode_cursor
from zhili.matters.models import MatterVersion
from zhili.org.division_code import DivisionCode
from zhili.org.models import Department
from zhili.org.routing import CENTRE_ROLES, nearest_held

# An instant the queue's conditions compare with: a time, or a parameter bound when the statement runs.
Instant = datetime | BindParameter[datetime]
Todo = Literal["accept", "sign", "handle", "help", "extend", "verify", "rate"]
TodoFilter = Literal[Todo, "mine"]  # the queue's `todo`: one step of the loop, or any of them (`my_turn`)
Light = Literal["green", "yellow", "red"]
Sort = Literal["newest", "oldest", "due"]
TODOS: tuple[Todo, ...] = get_args(Todo)
SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")

# Quzhou's local time (China Standard Time, no daylight saving): the date range is read in it.
FINISHED = frozenset(
    {
        CaseStatus.REJECTED,
        CaseStatus.CLOSED,
        CaseStatus.RATED,
        CaseStatus.ARCHIVED,
        CaseStatus.VERIFIED,
    }
)
OPEN_STATUSES = tuple(s.value for s in CaseStatus if s not in FINISHED)
# The lead unit's turn after signing: start (signed, reopened), reply (in progress), close (verified: 核查通过).
HANDLING = (CaseStatus.SIGNED, CaseStatus.IN_PROGRESS, CaseStatus.REOPENED, CaseStatus.VERIFIED)
MAX_SEARCH = 60


@dataclass(frozen=True)
class CaseFilter:
    """What the queue shows: each field narrows it; `q` searches number, attributes (plate …) and description.

    `caller` is a reporter's phone (digits, as `normalised_phone` gives it): the cases that caller
    reported, among those the actor dispatches (who may read a reporter's phone: the 12345 desk).
    """

    status: str | None = None
    matter: str | None = None
    division: str | None = None
    unit: int | None = None
    light: Light | None = None
    overdue: bool = False
    due_soon: bool = False
    todo: TodoFilter | None = None
    q: str | None = None
    caller: str | None = None
    since: date | None = None
    until: date | None = None
    sort: Sort = "newest"


def _dispatcher(actor: Actor) -> ColumnElement[bool]:
    """Cases whose dispatching division a managing post of the actor holds as a block (parties.DISPATCHER)."""
    scope = actor.write_scope
    if scope.is_everything:
        return true()
    blocks = Scope.of(g for g in scope.grants if g.department_id is None)
    return blocks.where(Case.dispatcher_division) if blocks.grants else false()


def first_line(actor: Actor) -> ColumnElement[bool]:
    """Cases whose triage is the actor's turn: their dispatching division is one a managing post of theirs holds.

    A level above may act on a case below (`parties.DISPATCHER` reaches down), but it is not its to-do:
    the county's 待受理 is not every township's. A division with no centre post of its own is the turn of
    the nearest division above that has one (`org.routing.nearest_held`).
    """
    if actor.write_scope.is_everything:
        return true()
    held = held_blocks(actor)
    return nearest_held(Case.dispatcher_division, held, CENTRE_ROLES, including_own=True) if held else false()


def _originator(actor: Actor) -> ColumnElement[bool]:
    """Cases the actor filed as a person (they verify them); a citizen's own report is rated, not verified."""
    conditions: list[ColumnElement[bool]] = []
    if actor.person_id is not None:
        conditions.append(Case.originator_person_id == actor.person_id)
    if actor.account_id is not None:
        conditions.append(and_(Case.originator_account_id == actor.account_id, Case.originator_person_id.is_not(None)))
    return or_(false(), *conditions)


def _rater(actor: Actor) -> ColumnElement[bool]:
    """Cases the actor rates: filed as a person or a citizen's account, or called back for.

    A call-back is a citizen's report with no login, rated by the centre that dispatched it (`parties.calls_back`).
    """
    conditions: list[ColumnElement[bool]] = [_originator(actor)]
    if actor.account_id is not None:
        own = and_(Case.originator_account_id == actor.account_id, Case.originator_person_id.is_(None))
        conditions.append(own)
    no_login = and_(Case.originator_person_id.is_(None), Case.originator_account_id.is_(None))
    conditions.append(and_(no_login, Case.channel.in_(CITIZEN_CHANNELS), first_line(actor)))
    return or_(*conditions)


@lru_cache(maxsize=4096)
def todo_condition(actor: Actor, todo: Todo) -> ColumnElement[bool]:
    """The cases waiting for the actor in one step of the loop (mirrors the lifecycle's RULES and parties).

    Built once per actor and step, as `visible_cases`: a centre's first line alone is an EXISTS per division it
    holds, which cost a queue page a quarter of its CPU to build again.
    """
    if todo in _BY_UNIT:
        units = sorted(strip_units(actor))
        return _BY_UNIT[todo](units) if units else false()
    return _BY_PARTY[todo](actor)


@lru_cache(maxsize=1024)
def my_turn(actor: Actor) -> ColumnElement[bool]:
    """Per case row: whether it is one of the actor's to-dos (any of `TODOS`), as the workbench counts them."""
    return or_(*(todo_condition(actor, todo) for todo in TODOS))


def _unanswered(units: list[int]) -> tuple[ColumnElement[bool], ...]:
    """Per case row: its help requests to one of these units not yet answered."""
    return (
        CollaborationRequest.case_id == Case.id,
        CollaborationRequest.unit_id.in_(units),
        CollaborationRequest.status == HelpStatus.REQUESTED.value,
    )


def _asked(units: list[int]) -> ColumnElement[bool]:
    """Open cases on which a unit of the actor was asked for help and has not answered."""
    return and_(Case.status.in_(OPEN_STATUSES), exists().where(*_unanswered(units)))


def help_due(actor: Actor) -> ColumnElement[datetime | None]:
    """Per case row: the earliest deadline of a help request to one of the actor's units not yet answered."""
    units = sorted(strip_units(actor))
    if not units:
        return null().cast(Case.phase_due_at.type)
    earliest = select(func.min(CollaborationRequest.deadline_at)).where(*_unanswered(units))
    return case((Case.status.in_(OPEN_STATUSES), earliest.scalar_subquery()), else_=null())


# The to-dos of a party the actor is for the case, and those of the units the actor works in.
_BY_PARTY: dict[str, Callable[[Actor], ColumnElement[bool]]] = {
    # 待受理 / 待派单: the centre or command room of the dispatching division
    "accept": lambda a: and_(Case.status.in_((CaseStatus.REPORTED, CaseStatus.ACCEPTED)), first_line(a)),
    # 待审批延期: the lead asked for more time; the dispatcher decides (the level above may too, unprompted)
    "extend": lambda a: and_(
        Case.pending_extension_hours.is_not(None),
        Case.status.in_((CaseStatus.IN_PROGRESS, CaseStatus.SUSPENDED)),
        first_line(a),
    ),
    # 待核查: the lead replied; the originator or the dispatcher verifies
    "verify": lambda a: and_(Case.status == CaseStatus.FEEDBACK, or_(_originator(a), first_line(a))),
    # 待评价: closed, and the actor rates it (the lifecycle's reporters, a call-back included)
    "rate": lambda a: and_(Case.status == CaseStatus.CLOSED, _rater(a)),
}
_BY_UNIT: dict[str, Callable[[list[int]], ColumnElement[bool]]] = {
    # 待签收: dispatched to a unit the actor works in
    "sign": lambda units: and_(Case.status == CaseStatus.DISPATCHED, Case.lead_unit_id.in_(units)),
    # 待办理: signed for by the actor's unit, to start, to reply or, once verified, to close (suspended ones wait)
    "handle": lambda units: and_(Case.status.in_(HANDLING), Case.lead_unit_id.in_(units)),
    # 待回复协同: a unit of the actor was asked and has not answered
    "help": _asked,
}


def _light(light: Light, now: Instant) -> ColumnElement[bool]:
    """Mirrors `clocks.lights.light_at`: red from the due time, yellow from the 70 % instant, else green."""
    red = and_(Case.phase_due_at.is_not(None), Case.phase_due_at <= now)
    yellow = and_(Case.phase_yellow_at.is_not(None), Case.phase_yellow_at <= now)
    if light == "red":
        return red
    if light == "yellow":
        return and_(yellow, ~red)
    return and_(~or_(red, yellow))


def _search(text: str) -> ColumnElement[bool]:
    needle = text.strip()[:MAX_SEARCH]
    return or_(
        Case.number.icontains(needle, autoescape=True),
        Case.attributes.icontains(needle, autoescape=True),
        Case.description.icontains(needle, autoescape=True),
    )


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), LOCAL_ZONE).astimezone(UTC)


def conditions(actor: Actor, where: CaseFilter, now: Instant) -> list[ColumnElement[bool]]:
    """The WHERE clause of the queue, its counts and its export."""
    found: list[ColumnElement[bool]] = [visible_cases(actor)]
    simple: list[tuple[object, ColumnElement[bool]]] = [
        (where.status, Case.status == where.status),
        (where.matter, Case.matter_code == where.matter),
        (where.unit, Case.lead_unit_id == where.unit),
    ]
    found += [condition for value, condition in simple if value]
    if where.division:
        found.append(DivisionCode(where.division).subtree(Case.place_code))
    if where.light:
        found.append(_light(where.light, now))
    if where.overdue:
        found += [Case.status.in_(OPEN_STATUSES), Case.phase_due_at <= now]
    if where.due_soon:
        found += [Case.status.in_(OPEN_STATUSES), Case.phase_yellow_at <= now, Case.phase_due_at > now]
    if where.todo:
        found.append(my_turn(actor) if where.todo == "mine" else todo_condition(actor, where.todo))
    if where.q and where.q.strip():
        found.append(_search(where.q))
    if where.caller:
        found += [Case.reporter_phone == where.caller, _dispatcher(actor)]
    if where.since:
        found.append(Case.created_at >= _local_midnight(where.since))
    if where.until:
        found.append(Case.created_at < _local_midnight(where.until + timedelta(days=1)))
    return found


def ordered(stmt: SelectT, sort: Sort) -> SelectT:
    """The queue's order; ties broken by id so the cursor is exact. Due soonest puts cases without a clock last."""
    if sort == "oldest":
        return stmt.order_by(Case.id.asc())
    if sort == "due":
        return stmt.order_by(Case.phase_due_at.is_(None), Case.phase_due_at.asc(), Case.id.asc())
    return stmt.order_by(Case.id.desc())


def after_cursor(cursor: str, sort: Sort) -> ColumnElement[bool]:
    """The rows after the last one seen, in the order of `sort`."""
    if sort != "due":
        seen: int = decode_cursor(cursor, (Key.INT,))[0]
        return Case.id < seen if sort == "newest" else Case.id > seen
    due, last_id = decode_cursor(cursor, (Key.INSTANT_OR_NONE, Key.INT))
    if due is None:  # already among the cases without a clock
        return and_(Case.phase_due_at.is_(None), Case.id > last_id)
    return or_(
        Case.phase_due_at > due,
        and_(Case.phase_due_at == due, Case.id > last_id),
        Case.phase_due_at.is_(None),
    )


def cursor_of(case_id: int, due_at: datetime | None, sort: Sort) -> str:
    """The cursor after this row."""
    if sort == "due":
        return encode_cursor([due_at, case_id])
    return encode_cursor([case_id])


# The workbench's counts: each step of the loop, then the cases due soon and those overdue.
COUNTED: dict[str, CaseFilter] = {todo: CaseFilter(todo=todo) for todo in TODOS}
COUNTED |= {"due_soon": CaseFilter(due_soon=True), "overdue": CaseFilter(overdue=True)}
# The instant the counts are taken at, bound when their statement runs: the statement is the actor's alone.
NOW: BindParameter[datetime] = bindparam("b_now", type_=UtcDateTime())


def todo_counts(session: Session, actor: Actor, *, now: datetime) -> dict[str, int]:
    """The workbench's case counts in one statement: each to-do, due soon and overdue, within the actor's cases."""
    row = session.execute(_todo_counts(actor), {NOW.key: now}).one()
    return {name: int(value) for name, value in zip(COUNTED, row, strict=True)}


@lru_cache(maxsize=1024)
def _todo_counts(actor: Actor) -> Select[Any]:
    """The counts' statement, built once per actor (as `visible_cases`), its instant bound when it runs.

    Building it and its cache key cost more than running it: 8 of the home page's 26 ms.
    """
    columns = [
        func.coalesce(func.sum(case((and_(*conditions(actor, where, NOW)[1:]), 1), else_=0)), 0).label(name)
        for name, where in COUNTED.items()
    ]
    return select(*columns).select_from(Case).where(visible_cases(actor))


@dataclass(frozen=True)
class FilterOptions:
    """The choices of the queue's filter form: matters by name, lead units of the cases the actor sees."""

    matters: list[tuple[str, str, str]]
    units: list[tuple[int, str]]
    statuses: tuple[str, ...] = tuple(s.value for s in CaseStatus)


def filter_options(session: Session, actor: Actor) -> FilterOptions:
    """The matters (code, zh, en) and the lead units (id, name) the filter form offers."""
    matters = session.execute(
        select(MatterVersion.code, MatterVersion.name_zh, MatterVersion.name_en)
        .where(MatterVersion.is_current)
        .order_by(MatterVersion.code)
    ).all()
    leads = select(Case.lead_unit_id).where(visible_cases(actor), Case.lead_unit_id.is_not(None)).distinct()
    units = session.execute(
        select(Department.id, Department.name)
        .where(Department.id.in_(leads.scalar_subquery()))
        .order_by(Department.name)
    ).all()
    return FilterOptions(
        matters=[(code, zh, en) for code, zh, en in matters], units=[(uid, name) for uid, name in units]
    )
