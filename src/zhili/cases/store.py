"""The case store: the one owner of the `cases` row ↔ lifecycle state mapping and of a case's writes.

A service reads a case (`load`), steps the pure lifecycle, and hands the new state to `save`, which
writes the row only where it still has the version read (compare-and-set) and returns the case as
now stored; `append_event` adds the timeline line. Cases are plain frozen values (`StoredCase`),
never ORM objects: nothing to flush, no identity map to keep in step. The evidence column is JSON
read and written through one typed adapter. Every statement is built once, at import (the scoped
read once per actor), and prepared (`core.prepared`): compiled once per backend and run on the driver
of the session's transaction, which is most of a command's statements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from pydantic import TypeAdapter
from sqlalchemy import Row, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from zhili.cases.models import Case, CaseEvent
from zhili.cases.states import CaseState, CaseStatus, Evidence, Rating, Transition
from zhili.cases.visibility import helping_column, visible_cases
from zhili.clocks.lights import RunningLimit
from zhili.core.auth import Actor
from zhili.core.db import sync_id_sequences
from zhili.core.errors import ConflictError, NotFoundError
from zhili.core.ids import take_id
from zhili.core.local_time import to_local
from zhili.core.prepared import Prepared
from zhili.matters.definition import HandlerLevel, MatterDefinition, Phase
from zhili.matters.models import MatterVersion

EVIDENCE = TypeAdapter(tuple[Evidence, ...])
ColumnValues = Mapping[str, Any]  # a row of plain column values


@dataclass(frozen=True, slots=True)
class StoredCase:
    """A case as services act on it: what was reported, where it is handled, and its lifecycle state."""

    id: int
    number: str
    matter_code: str
    matter_version_id: int
    matter_hash: str
    channel: str
    description: str
    description_en: str | None  # the English of a description the system wrote, else None
    attributes: dict[str, Any]
    lon: float | None
    lat: float | None
    address: str | None
    place_code: str
    grid_code: str | None
    handling_division: str
    dispatcher_division: str
    routed_unit_id: int
    handler_level: str
    contact_position_id: int | None
    originator_person_id: int | None
    originator_account_id: int | None
    reporter_name: str | None
    reporter_phone: str | None
    phase_due_at: datetime | None
    phase_yellow_at: datetime | None
    duplicate_of_id: int | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    state: CaseState = field(repr=False)

    @property
    def status(self) -> str:
        """The lifecycle status, as stored."""
        return self.state.status.value

    @property
    def version(self) -> int:
        """The optimistic lock: each saved step adds one."""
        return self.state.version

    @property
    def lead_unit_id(self) -> int | None:
        """The unit leading the case now (None before dispatch)."""
        return self.state.lead_unit_id


_CASES = cast("Table", Case.__table__)
_EVENTS = cast("Table", CaseEvent.__table__)
_PLAIN = tuple(f.name for f in fields(StoredCase) if f.name not in {"matter_hash", "attributes", "state"})
_STATE_COLUMNS = (
    "status",
    "version",
    "lead_unit_id",
    "rework_count",
    "reopen_count",
    "level_up",
    "pending_extension_hours",
    "granted_extension_hours",
    "evidence",
    "evidence_verified",
    "rating",
    "phase",
    "phase_started_at",
    "reject_reason",
    "last_reason",
    "suspended_from",
)
_MATTER_HASH = (
    select(MatterVersion.content_hash)
    .where(MatterVersion.id == _CASES.c.matter_version_id)
    .correlate(_CASES)
    .scalar_subquery()
    .label("matter_hash")
)
_COLUMNS = (
    *(_CASES.c[name] for name in dict.fromkeys((*_PLAIN, *_STATE_COLUMNS))),
    _CASES.c.attributes,
    _MATTER_HASH,
)
_BY_ID = Prepared(select(*_COLUMNS).where(_CASES.c.id == bindparam("b_case_id")))
_TOUCH = Prepared(update(_CASES).where(_CASES.c.id == bindparam("b_id")).values(updated_at=bindparam("b_at")))
# The SET clause comes from the parameters given: the columns a step writes.
_WRITE = Prepared(update(_CASES).where(_CASES.c.id == bindparam("b_id"), _CASES.c.version == bindparam("b_version")))
_INSERT = insert(_CASES)
_INSERT_ONE = Prepared(_INSERT)
# The next timeline number is computed in the INSERT itself: no round trip for max(seq). Binds the
# event's columns and `b_case_id`; executemany appends many lines (the escalation ladder fires in batches).
_NEXT_SEQ = (
    select(func.coalesce(func.max(_EVENTS.c.seq), 0) + 1).where(_EVENTS.c.case_id == bindparam("b_case_id"))
).scalar_subquery()
APPEND_EVENT = insert(_EVENTS).values(seq=_NEXT_SEQ)
_INSERT_EVENTS = insert(_EVENTS)  # timelines numbered already: a bulk load of new cases
_APPEND_ONE = Prepared(APPEND_EVENT.returning(_EVENTS.c.seq))
_INSERT_LINES = Prepared(_INSERT_EVENTS)


def state_of(row: Row[Any] | Case) -> CaseState:
    """The pure lifecycle state of a stored row (a Core row or a loaded `Case`)."""
    return CaseState(
        status=CaseStatus(row.status),
        lead_unit_id=row.lead_unit_id,
        version=row.version,
        rework_count=row.rework_count,
        reopen_count=row.reopen_count,
        level_up=row.level_up,
        pending_extension_hours=row.pending_extension_hours,
        granted_extension_hours=row.granted_extension_hours,
        evidence=EVIDENCE.validate_json(row.evidence),
        evidence_verified=row.evidence_verified,
        rating=Rating(row.rating) if row.rating else None,
        phase=Phase(row.phase) if row.phase else None,
        phase_started_at=row.phase_started_at,
        reject_reason=row.reject_reason,
        last_reason=row.last_reason,
        suspended_from=CaseStatus(row.suspended_from) if row.suspended_from else None,
    )


def state_columns(
    definition: MatterDefinition, state: CaseState, handler_level: str, clock: RunningLimit | None
) -> dict[str, object]:
    """The columns a state writes, with the limit and clock (`deadlines.phase_clock`) of its phase."""
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
        "evidence": EVIDENCE.dump_json(state.evidence).decode(),
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


def _from_row(row: Row[Any]) -> StoredCase:
    plain: dict[str, Any] = {name: getattr(row, name) for name in _PLAIN}
    return StoredCase(**plain, matter_hash=row.matter_hash, attributes=row.attributes, state=state_of(row))


@lru_cache(maxsize=1024)
def _visible(actor: Actor) -> Prepared:
    """The statement reading one case the actor may see, and whether they help on it; one per actor."""
    return Prepared(
        select(*_COLUMNS, helping_column(actor).label("is_helping")).where(
            _CASES.c.id == bindparam("b_case_id"), visible_cases(actor)
        )
    )


def load(session: Session, actor: Actor, case_id: int) -> tuple[StoredCase, bool]:
    """A case the actor may see, and whether one of their units was asked to help on it; or 404."""
    row = _visible(actor).run(session, {"b_case_id": case_id}).first()
    if row is None:
        raise NotFoundError(f"case {case_id} not found")
    return _from_row(row), bool(row.is_helping)


def load_any(session: Session, case_id: int) -> StoredCase:
    """A case by id, whoever asks (the worker's timers, a service that checked scope already); or 404."""
    row = _BY_ID.run(session, {"b_case_id": case_id}).first()
    if row is None:
        raise NotFoundError(f"case {case_id} not found")
    return _from_row(row)


def case_number(case_id: int, created_at: datetime) -> str:
    """A case's number: `ZL`, the local year it was reported in and its id in seven digits."""
    return f"ZL{to_local(created_at):%Y}{case_id:07d}"


def insert_new(session: Session, values: dict[str, object], *, state: CaseState, matter_hash: str) -> StoredCase:
    """Store a new case numbered `ZL<year><id>`; its id is taken first (`core.ids`), so one INSERT writes it whole."""
    case_id = take_id(session, "cases")
    created_at = cast("datetime", values["created_at"])
    row = {**values, "id": case_id, "number": case_number(case_id, created_at)}
    _INSERT_ONE.run(session, row)
    plain: dict[str, Any] = {name: row[name] for name in _PLAIN if name in row}
    attributes = cast("dict[str, Any]", row["attributes"])
    return StoredCase(**plain, matter_hash=matter_hash, attributes=attributes, state=state)


def insert_many(session: Session, cases: Sequence[ColumnValues], events: Sequence[ColumnValues]) -> None:
    """Store many new cases whole with their timelines, set-based: a bulk load (the demo's year of cases).

    Each case row holds every column but its number (`case_number`, set here) and an id past the
    highest stored; each timeline is numbered from 1 in order of time, its last line the case's
    status (`state_columns` gives a state's columns). One `executemany` per table; the caller
    audits and commits.
    """
    if not cases:
        return
    _INSERT_ONE.run_many(session, [{**row, "number": case_number(row["id"], row["created_at"])} for row in cases])
    _INSERT_LINES.run_many(session, events)
    sync_id_sequences(session, ["cases", "case_events"])


def save(session: Session, case: StoredCase, state: CaseState, values: dict[str, object]) -> StoredCase:
    """Write a step's columns where the row still has the version `case` was read at, else 409.

    `values` are the state's columns (`state_columns`) and any others the step sets; the caller
    commits. Returns the case as now stored.
    """
    params = {**values, "b_id": case.id, "b_version": case.version}
    if _WRITE.run(session, params).rowcount != 1:
        session.rollback()
        raise ConflictError("another command changed the case first; reload it")
    changed: dict[str, Any] = {name: values[name] for name in _PLAIN if name in values and name not in _STATE_COLUMNS}
    return replace(case, state=state, **changed)


def lock(session: Session, case: StoredCase, now: datetime) -> StoredCase:
    """Take the case row's write lock for the rest of the transaction.

    On PostgreSQL this serialises everything done to one case (timeline numbers, checks); SQLite's
    writers are serial anyway.
    """
    _TOUCH.run(session, {"b_id": case.id, "b_at": now})
    return replace(case, updated_at=now)


def append_event(
    session: Session,
    case: StoredCase,
    *,
    kind: str,
    actor: str,
    parties: frozenset[str],
    details: dict[str, Any],
    at: datetime,
) -> int:
    """Append a line to the case's timeline; its number.

    The caller holds the case row's lock (a saved step, `lock`, or the insert of a new case), so
    no other transaction takes the same number between the read of max(seq) and the insert.
    """
    row = {
        "case_id": case.id,
        "b_case_id": case.id,
        "kind": kind,
        "at": at,
        "actor": actor,
        "parties": ",".join(sorted(parties)),
        "status_after": case.status,
        "details": details,
    }
    return int(_APPEND_ONE.run(session, row).scalar_one())


def open_timeline(
    session: Session,
    case: StoredCase,
    lines: Sequence[tuple[str, dict[str, Any], str]],
    *,
    parties: frozenset[str],
    at: datetime,
) -> list[int]:
    """The first lines (kind, details, actor) of a case just inserted, numbered from 1 in one statement; their numbers.

    The caller inserted the case row in this transaction, so it holds the row's lock and the
    timeline is empty: the numbers need no read of max(seq).
    """
    shared = {"case_id": case.id, "at": at, "parties": ",".join(sorted(parties))}
    seqs = list(range(1, len(lines) + 1))
    rows = [
        {**shared, "seq": seq, "kind": kind, "actor": actor, "status_after": case.status, "details": details}
        for seq, (kind, details, actor) in zip(seqs, lines, strict=True)
    ]
    _INSERT_LINES.run_many(session, rows)
    return seqs


def event_details(
    transition: Transition, note: dict[str, str] | None = None, *, ended: tuple[datetime, datetime] | None = None
) -> dict[str, Any]:
    """A step's timeline details (plain JSON values), with the phase changes the clocks will need.

    `ended` is (the ended phase's due time, now): the line then records the due time and whether the
    phase ended late (`phase_late`), which assessment and the KPIs count as on time or not.
    """
    details: dict[str, object] = {**transition.event.details, **(note or {})}
    if transition.phase_ended:
        details["phase_ended"] = transition.phase_ended.value
        if ended is not None:
            due, now = ended
            details["phase_due_at"] = due.isoformat()
            details["phase_late"] = now > due
    if transition.phase_started:
        details["phase_started"] = transition.phase_started.value
    return {key: _plain(value) for key, value in details.items()}


def _plain(value: Any) -> Any:
    """A value as JSON holds it: an instant in ISO 8601 with its offset, a dataclass as its fields, else its text."""
    if value is None or isinstance(value, str | int | float):  # bool is an int; a StrEnum a str
        return value
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):
        return _plain(asdict(value))
    return str(value)
