"""Case use cases: report a case, run a lifecycle command. Scoped, versioned, audited, one commit each."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from functools import lru_cache
from typing import cast

from sqlalchemy import Select, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from zhili.cases import handoffs, lifecycle, location
from zhili.cases.attributes import validate_attributes
from zhili.cases.commands import CommandBody
from zhili.cases.deadlines import county_calendar, phase_clock, sync_timers
from zhili.cases.models import Case, CaseEvent, CasePhoto
from zhili.cases.parties import parties_given
from zhili.cases.routing import Routing, route
from zhili.cases.schemas import CaseCreate
from zhili.cases.state_mapping import event_details, state_values, to_state
from zhili.cases.states import CaseState
from zhili.cases.visibility import helping_column, visible_cases
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ConflictError, InvalidInputError, NotFoundError
from zhili.core.params import id_in
from zhili.matters import queries as matters
from zhili.org.division_code import DivisionCode
from zhili.org.geo import LocatorCache
from zhili.org.models import Department
from zhili.org.routing import parent_code

# Prepared once, at import: a command only binds values (no ORM flush, refresh or statement building).
_CASES = cast("Table", Case.__table__)
_EVENTS = cast("Table", CaseEvent.__table__)
_TOUCH = update(_CASES).where(_CASES.c.id == bindparam("b_id")).values(updated_at=bindparam("b_at"))
# The SET clause comes from the parameters given: the state columns a transition writes.
_WRITE_STATE = update(_CASES).where(_CASES.c.id == bindparam("b_id"), _CASES.c.version == bindparam("b_version"))
# The next timeline number is computed in the INSERT itself: no round trip for max(seq). Binds the event's
# columns and `b_case_id`; executemany appends many lines (the escalation ladder fires in batches).
_NEXT_SEQ = (
    select(func.coalesce(func.max(_EVENTS.c.seq), 0) + 1).where(_EVENTS.c.case_id == bindparam("b_case_id"))
).scalar_subquery()
APPEND_EVENT = insert(_EVENTS).values(seq=_NEXT_SEQ)
_APPEND_ONE_EVENT = APPEND_EVENT.returning(_EVENTS.c.seq)
_INSERT_CASE = insert(_CASES).returning(_CASES.c.id)
_UNIT_DIVISION = select(Department.division_code).where(Department.id == bindparam("b_id"))
_NUMBER_CASE = update(_CASES).where(_CASES.c.id == bindparam("b_id")).values(number=bindparam("number"))
_CITED_PHOTOS = select(CasePhoto.id).where(
    CasePhoto.case_id == bindparam("b_case_id"), CasePhoto.id.in_(bindparam("b_ids", expanding=True))
)


def lock_case(session: Session, case: Case, now: datetime) -> None:
    """Take the case row's write lock for the rest of the transaction.

    On PostgreSQL this serialises everything done to one case (timeline numbers, checks); SQLite's
    writers are serial anyway.
    """
    session.connection().execute(_TOUCH, {"b_id": case.id, "b_at": now})
    set_committed_value(case, "updated_at", now)


def check_lead_unit(session: Session, case: Case, unit_id: int) -> None:
    """A lead must exist and serve the case's place, or it could never see the case it leads."""
    division = session.scalar(_UNIT_DIVISION, {"b_id": unit_id})
    if division is None or not DivisionCode(case.place_code).under(DivisionCode(division)):
        raise InvalidInputError(
            f"unit {unit_id} does not serve {case.place_code}; choose a unit of this place",
            errors=[{"field": "body.lead_unit_id", "message": "does not serve the case's place"}],
        )


def check_photo_evidence(session: Session, case: Case, command: lifecycle.Command) -> None:
    """Photo evidence must cite photos of this case (`photo:<id>`)."""
    if not isinstance(command, lifecycle.Reply):
        return
    cited = [e.ref for e in command.evidence if e.kind.value == "photo"]
    ids = {photo for ref in cited if ref.startswith("photo:") and (photo := id_in(ref[6:])) is not None}
    found = set(session.scalars(_CITED_PHOTOS, {"b_case_id": case.id, "b_ids": sorted(ids)}))
    if len(ids) != len(cited) or ids != found:
        raise InvalidInputError(
            "photo evidence must cite photos of this case as photo:<id>; upload them first",
            errors=[{"field": "body.evidence", "message": "unknown photo"}],
        )


def add_event(
    session: Session, case: Case, *, kind: str, actor: Actor, parties: frozenset[str], details: str, at: datetime
) -> None:
    """Append a line to the case's timeline and tell whoever's turn it now is (the caller writes the audit record).

    The caller holds the case row's lock (a versioned update, `lock_case`, or the insert of a new
    case), so no other transaction takes the same number between the read of max(seq) and the insert.
    Every case action appends its line here, so every hand-off notifies (`handoffs.tell`).
    """
    seq = (
        session.connection()
        .execute(
            _APPEND_ONE_EVENT,
            {
                "case_id": case.id,
                "b_case_id": case.id,
                "kind": kind,
                "at": at,
                "actor": actor.audit_name,
                "parties": ",".join(sorted(parties)),
                "status_after": case.status,
                "details": details,
            },
        )
        .scalar_one()
    )
    handoffs.tell(session, case, kind=kind, details=details, actor=actor, seq=seq, at=at)


def report_case(session: Session, *, data: CaseCreate, actor: Actor, clock: Clock, locators: LocatorCache) -> Case:
    """Open a case from a report: validate, locate, route to one lead unit, inform the grid's contact."""
    version, definition = matters.current_definition(session, data.matter)
    attributes = validate_attributes(definition, data.attributes)
    place = location.resolve(session, locators, point=data.point, place=data.place)
    routing = route(session, definition, place.code)
    party = lifecycle.Party.ORIGINATOR if actor.person_id else lifecycle.Party.CITIZEN
    now = clock.now()
    transition = lifecycle.open_case(definition, lifecycle.Report(parties=frozenset({party})), now)
    calendar = county_calendar(session, routing.handling_division)
    clock_of_phase = phase_clock(calendar, definition, transition.state, routing.handler_level.value)
    values = {
        "matter_code": definition.code,
        "matter_version_id": version.id,
        "channel": data.channel,
        "description": data.description,
        "attributes": json.dumps(attributes, ensure_ascii=False),
        "lon": place.lon,
        "lat": place.lat,
        "address": data.address,
        "place_code": place.code,
        "reporter_name": data.reporter_name,
        "reporter_phone": data.reporter_phone,
        **_routed_values(routing, actor, now),
        **state_values(definition, transition.state, routing.handler_level.value, clock_of_phase),
    }
    case = insert_case(session, values, matter_hash=version.content_hash)
    sync_timers(
        session,
        case_id=case.id,
        before=None,
        after=transition.state,
        clock=clock_of_phase,
        definition=definition,
        calendar=calendar,
        now=now,
    )
    _record_report(session, case, transition, routing, frozenset({party.value}), actor=actor, now=now)
    commit(session)
    return case


def _routed_values(routing: Routing, actor: Actor, now: datetime) -> dict[str, object]:
    """The columns of a new case that say where it went and who reported it."""
    return {
        "grid_code": routing.grid_code,
        "handling_division": routing.handling_division,
        "dispatcher_division": routing.dispatcher_division,
        "routed_unit_id": routing.lead_unit.id,
        "handler_level": routing.handler_level.value,
        "contact_position_id": routing.contact_position_id,
        "originator_person_id": actor.person_id,
        "originator_account_id": actor.account_id,
        "created_at": now,
        "updated_at": now,
        "closed_at": None,
        "duplicate_of_id": None,
    }


def insert_case(session: Session, values: dict[str, object], *, matter_hash: str) -> Case:
    """Store a new case with one INSERT and number it `ZL<year><id>` with one UPDATE (Core).

    The returned Case is attached to the session as if loaded, so it is not flushed again.
    """
    connection = session.connection()
    # The number needs the id; until the UPDATE a unique placeholder holds the (unique) column.
    placeholder = f"new-{uuid.uuid4().hex[:20]}"
    case_id: int = connection.execute(_INSERT_CASE, {**values, "number": placeholder}).scalar_one()
    created_at = cast("datetime", values["created_at"])
    number = f"ZL{created_at:%Y}{case_id:07d}"
    connection.execute(_NUMBER_CASE, {"b_id": case_id, "number": number})
    case = Case(id=case_id, number=number, **values)
    make_transient_to_detached(case)
    session.add(case)
    set_committed_value(case, "matter_hash", matter_hash)
    return case


def _record_report(
    session: Session,
    case: Case,
    transition: lifecycle.Transition,
    routing: Routing,
    parties: frozenset[str],
    *,
    actor: Actor,
    now: datetime,
) -> None:
    """The report's timeline lines (reported, routed, contact informed) and its audit record."""
    add_event(session, case, kind="report", actor=actor, parties=parties, details=event_details(transition), at=now)
    routed = {
        "routed_unit_id": routing.lead_unit.id,
        "routed_unit": routing.lead_unit.name,
        "dispatcher_division": routing.dispatcher_division,
        "handling_division": routing.handling_division,
    }
    details = json.dumps(routed, ensure_ascii=False)
    add_event(session, case, kind="routed", actor=actor, parties=parties, details=details, at=now)
    if routing.contact_position_id is not None:
        informed = json.dumps({"contact_position_id": routing.contact_position_id, "grid_code": routing.grid_code})
        add_event(session, case, kind="contact_informed", actor=actor, parties=parties, details=informed, at=now)
    after = {"number": case.number, "matter": case.matter_code, "place": case.place_code, **routed}
    audit.record_by(session, actor, "case.reported", entity_type="case", entity_id=case.id, after=after, at=now)


@lru_cache(maxsize=1024)
def _visible_case(actor: Actor) -> Select[Case, bool]:
    """The statement loading one case the actor may see, and whether they help on it; one per actor."""
    return select(Case, helping_column(actor)).where(Case.id == bindparam("b_case_id"), visible_cases(actor))


def load_visible(session: Session, actor: Actor, case_id: int) -> Case:
    """A case the actor may see, or 404."""
    return load_as_party(session, actor, case_id)[0]


def load_as_party(session: Session, actor: Actor, case_id: int) -> tuple[Case, frozenset[lifecycle.Party]]:
    """A case the actor may see and the parties they act as on it, read in one query; or 404."""
    row = session.execute(_visible_case(actor), {"b_case_id": case_id}).first()
    if row is None:
        raise NotFoundError(f"case {case_id} not found")
    case, is_helping = row
    return case, parties_given(actor, case, is_helping=bool(is_helping))


def run_command(session: Session, *, case_id: int, body: CommandBody, actor: Actor, clock: Clock) -> Case:
    """Apply one lifecycle command; a stale version or a lost race is 409 and changes nothing."""
    case, parties = load_as_party(session, actor, case_id)
    if body.version is not None and body.version != case.version:
        raise ConflictError(
            f"the case is at version {case.version}, not {body.version}; reload it", current_version=case.version
        )
    command = body.to_command(parties, routed_unit_id=case.routed_unit_id)
    if isinstance(command, lifecycle.Dispatch):
        check_lead_unit(session, case, command.lead_unit_id)
    check_photo_evidence(session, case, command)
    apply_command(session, case, command, actor=actor, now=clock.now())
    commit(session)
    return case


def apply_command(
    session: Session,
    case: Case,
    command: lifecycle.Command,
    *,
    actor: Actor,
    now: datetime,
    extra: dict[str, object] | None = None,
    event_kind: str | None = None,
    note: dict[str, str] | None = None,
) -> lifecycle.Transition:
    """Step the lifecycle and store the result where the row still has the version read (else 409).

    Writes the case, its event and the audit record; the caller commits.
    """
    definition = matters.definition_by_version_id(session, case.matter_version_id, content_hash=case.matter_hash)
    before = to_state(case)
    transition = lifecycle.step(definition, before, command, now)  # refusals are 409 / 403 / 422
    placement = _placement(case, command.kind)
    calendar = county_calendar(session, str(placement.get("handling_division", case.handling_division)))
    clock = phase_clock(calendar, definition, transition.state, case.handler_level)
    values = state_values(definition, transition.state, case.handler_level, clock)
    values.update(placement)
    values["closed_at"] = _closed_at(transition.state.status, case, now)
    values.update(extra or {})
    names = frozenset(p.value for p in command.parties)
    kind = event_kind or command.kind.value
    store_transition(
        session, case, before, transition, values=values, kind=kind, parties=names, note=note, actor=actor, now=now
    )
    sync_timers(
        session,
        case_id=case.id,
        before=before,
        after=transition.state,
        clock=clock,
        definition=definition,
        calendar=calendar,
        now=now,
    )
    return transition


def store_transition(
    session: Session,
    case: Case,
    before: CaseState,
    transition: lifecycle.Transition,
    *,
    values: dict[str, object],
    kind: str,
    parties: frozenset[str],
    note: dict[str, str] | None,
    actor: Actor,
    now: datetime,
) -> None:
    """The one place a command's state change lands: the row, its timeline line, its audit record.

    The row is updated only where it still has the version `before` was read at; otherwise the
    transaction is rolled back and the command is a 409. The caller commits.
    """
    audit_before = {"status": case.status, "version": before.version, "lead_unit_id": case.lead_unit_id}
    params = {**values, "updated_at": now, "b_id": case.id, "b_version": before.version}
    if session.connection().execute(_WRITE_STATE, params).rowcount != 1:
        session.rollback()
        raise ConflictError("another command changed the case first; reload it")
    for key, value in {**values, "updated_at": now}.items():
        set_committed_value(case, key, value)
    details = event_details(transition, note)
    add_event(session, case, kind=kind, actor=actor, parties=parties, details=details, at=now)
    audit.record_by(
        session, actor, f"case.{kind}", entity_type="case", entity_id=case.id, before=audit_before, after=values, at=now
    )


def _placement(case: Case, kind: lifecycle.CommandKind) -> dict[str, object]:
    """Escalation hands the case to the level above: its command room triages it next."""
    if kind is not lifecycle.CommandKind.ESCALATE:
        return {}
    upper = parent_code(case.dispatcher_division)
    if upper == case.dispatcher_division:
        raise ConflictError("the case is already with the top level; it cannot be escalated further")
    return {"dispatcher_division": upper, "handling_division": upper}


def _closed_at(status: lifecycle.CaseStatus, case: Case, now: datetime) -> datetime | None:
    """When the case was closed; a reopened case is open again."""
    if status is lifecycle.CaseStatus.CLOSED:
        return now
    if status is lifecycle.CaseStatus.REOPENED:
        return None
    return case.closed_at
