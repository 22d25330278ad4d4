"""Case use cases: report a case, run a lifecycle command. Scoped, versioned, audited, one commit each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from zhili.cases import handoffs, lifecycle, location, states, store
from zhili.cases.attributes import validate_attributes
from zhili.cases.commands import CommandBody
from zhili.cases.deadlines import county_calendar, phase_clock, sync_timers
from zhili.cases.models import CaseEvent, CasePhoto
from zhili.cases.parties import parties_given
from zhili.cases.routing import Routing, route
from zhili.cases.schemas import CaseCreate
from zhili.cases.states import gps_point
from zhili.cases.store import StoredCase
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ConflictError, InvalidInputError, NotFoundError
from zhili.core.params import id_in
from zhili.core.prepared import Prepared
from zhili.matters import queries as matters
from zhili.notify import inbox
from zhili.notify.kinds import Settled
from zhili.org.division_code import DivisionCode
from zhili.org.geo import LocatorCache
from zhili.org.models import Department
from zhili.org.routing import parent_code

__all__ = [
    "add_event",
    "apply_command",
    "load_as_party",
    "load_visible",
    "plan_command",
    "report_case",
    "run_command",
]

_UNIT_DIVISION = Prepared(select(Department.division_code).where(Department.id == bindparam("b_id")))
_CASE_PHOTOS = Prepared(select(CasePhoto.id).where(CasePhoto.case_id == bindparam("b_case_id")))


def check_lead_unit(session: Session, case: StoredCase, unit_id: int) -> None:
    """A lead must exist and serve the case's place, or it could never see the case it leads."""
    division = _UNIT_DIVISION.run(session, {"b_id": unit_id}).scalar()
    if division is None or not DivisionCode(case.place_code).under(DivisionCode(division)):
        raise InvalidInputError(
            f"unit {unit_id} does not serve {case.place_code}; choose a unit of this place",
            errors=[{"field": "body.lead_unit_id", "message": "does not serve the case's place"}],
        )


def check_evidence(session: Session, case: StoredCase, command: states.Command) -> None:
    """A reply's evidence: photos cite photos of this case (`photo:<id>`); a GPS fix is `lon,lat` in degrees."""
    if not isinstance(command, states.Reply):
        return
    if any(gps_point(e.ref) is None for e in command.evidence if e.kind.value == "gps"):
        raise InvalidInputError(
            "a GPS fix is longitude,latitude in degrees, e.g. 118.8712,28.9361",
            errors=[{"field": "body.evidence", "message": "gps is not longitude,latitude"}],
        )
    cited = [e.ref for e in command.evidence if e.kind.value == "photo"]
    if not cited:
        return
    ids = {photo for ref in cited if ref.startswith("photo:") and (photo := id_in(ref[6:])) is not None}
    # A case has a handful of photos: reading its ids keeps the statement prepared (no list bound per call).
    photos = {row[0] for row in _CASE_PHOTOS.run(session, {"b_case_id": case.id}).all()}
    if len(ids) != len(cited) or not ids <= photos:
        raise InvalidInputError(
            "photo evidence must cite photos of this case as photo:<id>; upload them first",
            errors=[{"field": "body.evidence", "message": "unknown photo"}],
        )


def add_event(
    session: Session,
    case: StoredCase,
    *,
    kind: str,
    actor: Actor,
    parties: frozenset[str],
    details: dict[str, Any],
    at: datetime,
) -> int:
    """Append a line to the case's timeline and tell whoever's turn it now is; the line's number.

    The caller writes the audit record and holds the case row's lock (a saved step, `store.lock`, or
    the insert of a new case). Every case action appends its line here (a new case's first lines:
    `open_timeline`), so every hand-off notifies (`handoffs.tell`), and the notices of the case the actor was
    told with others are settled for them (`inbox.settle_about`: the turn is taken).
    """
    seq = store.append_event(session, case, kind=kind, actor=actor.audit_name, parties=parties, details=details, at=at)
    if kind in handoffs.ACTS:  # their turn taken: the others told with them no longer wait
        inbox.settle_about(
            session,
            subject=f"case:{case.id}",
            topics=handoffs.ASKING,
            person_id=actor.person_id,
            at=at,
            answerable=handoffs.FILED_OR_ACTED_FOR_LEAD if kind in handoffs.ANSWERS_REPORT else handoffs.ACTED_FOR_LEAD,
            params={
                "b_case_id": case.id,
                "b_actor": actor.audit_name,
                "b_key": f"case:{case.id}:event:",
                "b_lead_unit": case.lead_unit_id or case.routed_unit_id,
            },
        )
    if "withdrawn_extension_hours" in details:  # the request the deciders were told of is gone: nothing to decide
        topic = f"case.{states.CommandKind.REQUEST_EXTENSION.value}"
        subject, why = f"case:{case.id}", Settled.WITHDRAWN
        inbox.settle_topic(session, subject=subject, topic=topic, person_id=actor.person_id, at=at, why=why)
    handoffs.tell(session, case, kind=kind, details=details, actor=actor, seq=seq, at=at)
    return seq


_ROUTING_LINES = {"routed": states.ROUTING_ACTOR, "contact_informed": states.ROUTING_ACTOR}


def open_timeline(
    session: Session,
    case: StoredCase,
    lines: list[tuple[str, dict[str, Any]]],
    *,
    actor: Actor,
    parties: frozenset[str],
    at: datetime,
) -> None:
    """`add_event` for the first lines (kind, details) of a case inserted in this transaction, in one write.

    The routing lines name the routing rules (`states.ROUTING_ACTOR`); the others, and the notices, the actor.
    """
    named = [(kind, details, _ROUTING_LINES.get(kind, actor.audit_name)) for kind, details in lines]
    seqs = store.open_timeline(session, case, named, parties=parties, at=at)
    told = [handoffs.Line(kind, details, seq) for (kind, details), seq in zip(lines, seqs, strict=True)]
    handoffs.tell_each(session, case, told, actor=actor, at=at)


def report_case(
    session: Session, *, data: CaseCreate, actor: Actor, clock: Clock, locators: LocatorCache
) -> StoredCase:
    """Open a case from a report: validate, locate, route to one lead unit, inform the grid's contact."""
    version, definition = matters.current_definition(session, data.matter)
    attributes = validate_attributes(definition, data.attributes)
    earlier = _to_mend(session, actor, data.again_of) if data.again_of is not None else None
    homes = actor.scope.division_prefixes
    place = location.resolve(session, locators, point=data.point, place=data.place, homes=homes)
    routing = route(session, definition, place.code)
    party = states.Party.ORIGINATOR if actor.person_id else states.Party.CITIZEN
    now = clock.now()
    transition = lifecycle.open_case(definition, states.Report(parties=frozenset({party})), now)
    calendar = county_calendar(session, routing.handling_division)
    clock_of_phase = phase_clock(calendar, definition, transition.state, routing.handler_level.value)
    values = {
        "matter_code": definition.code,
        "matter_version_id": version.id,
        "channel": data.channel,
        "description": data.description,
        "description_en": data.description_en,
        "attributes": attributes,
        "lon": place.lon,
        "lat": place.lat,
        "address": data.address,
        "place_code": place.code,
        "reporter_name": data.reporter_name,
        "reporter_phone": data.reporter_phone,
        **_routed_values(routing, actor, now),
        **store.state_columns(definition, transition.state, routing.handler_level.value, clock_of_phase),
    }
    case = store.insert_new(session, values, state=transition.state, matter_hash=version.content_hash)
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
    if earlier is not None:
        _link_reported_again(session, case, earlier, actor=actor, now=now)
    commit(session)
    return case


def mendable(session: Session, actor: Actor, case_id: int) -> StoredCase | None:
    """The case `actor` may report again (重新上报): theirs, not taken, not merged, not mended yet; else None."""
    try:
        case = store.load_any(session, case_id)
    except NotFoundError:
        return None
    if (
        actor.person_id is None
        or case.originator_person_id != actor.person_id
        or case.status != states.CaseStatus.REJECTED
        or case.duplicate_of_id is not None
        or _is_mended(session, case.id)
    ):
        return None
    return case


def _is_mended(session: Session, case_id: int) -> bool:
    found = select(CaseEvent.id).where(CaseEvent.case_id == case_id, CaseEvent.kind == states.REPORTED_AGAIN)
    return session.scalar(found.exists().select()) is True


def _to_mend(session: Session, actor: Actor, case_id: int) -> StoredCase:
    """`mendable`, or a 422 naming `again_of` (checked before the new case is written)."""
    case = mendable(session, actor, case_id)
    if case is None:
        # A form left open from before the first 重新上报 is told so, not that the case is not theirs.
        already = _is_mended(session, case_id)
        raise InvalidInputError(
            "again_of: reported again already" if already else "again_of: not a case of yours that was not taken",
            errors=[
                {
                    "field": "body.again_of",
                    "message": "a case you filed that was not taken (不予受理) and not reported again yet",
                    "key": "cases.again_already" if already else "cases.again_not_mendable",
                }
            ],
        )
    return case


def _link_reported_again(
    session: Session, case: StoredCase, earlier: StoredCase, *, actor: Actor, now: datetime
) -> None:
    """重新上报: the new case names the one not taken it mends, and that one names it (a line each, audited).

    The earlier case's row is locked first: a second report mending it at the same time finds it mended (409).
    """
    earlier = store.lock(session, earlier, now)
    if _is_mended(session, earlier.id):
        raise ConflictError(f"case {earlier.number} was reported again meanwhile")
    lines = ((case, states.REPORTED_AGAIN_OF, earlier), (earlier, states.REPORTED_AGAIN, case))
    for on, kind, other in lines:
        details = {"case_id": other.id, "number": other.number}
        add_event(session, on, kind=kind, actor=actor, parties=frozenset(), details=details, at=now)
        audit.record_by(session, actor, f"case.{kind}", entity_type="case", entity_id=on.id, after=details, at=now)


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


def _record_report(
    session: Session,
    case: StoredCase,
    transition: states.Transition,
    routing: Routing,
    parties: frozenset[str],
    *,
    actor: Actor,
    now: datetime,
) -> None:
    """The report's timeline lines (reported, routed, contact informed) and its audit record."""
    routed = {
        "routed_unit_id": routing.lead_unit.id,
        "routed_unit": routing.lead_unit.name,
        "dispatcher_division": routing.dispatcher_division,
        "handling_division": routing.handling_division,
    }
    lines = [("report", store.event_details(transition)), ("routed", routed)]
    if routing.contact_position_id is not None:
        informed = {"contact_position_id": routing.contact_position_id, "grid_code": routing.grid_code}
        lines.append(("contact_informed", informed))
    open_timeline(session, case, lines, actor=actor, parties=parties, at=now)
    after = {"number": case.number, "matter": case.matter_code, "place": case.place_code, **routed}
    audit.record_by(session, actor, "case.reported", entity_type="case", entity_id=case.id, after=after, at=now)


def load_visible(session: Session, actor: Actor, case_id: int) -> StoredCase:
    """A case the actor may see, or 404."""
    return load_as_party(session, actor, case_id)[0]


def evidence_to_close(session: Session, actor: Actor, case_id: int) -> tuple[str, ...]:
    """The kinds of evidence the case's matter asks a reply for (照片, 定位 ...): a form names those missing."""
    case = load_visible(session, actor, case_id)
    definition = matters.definition_by_version_id(session, case.matter_version_id, content_hash=case.matter_hash)
    return tuple(kind.value for kind in definition.evidence_to_close)


def load_as_party(session: Session, actor: Actor, case_id: int) -> tuple[StoredCase, frozenset[states.Party]]:
    """A case the actor may see and the parties they act as on it, read in one query; or 404."""
    case, is_helping = store.load(session, actor, case_id)
    return case, parties_given(actor, case, is_helping=is_helping)


def run_command(session: Session, *, case_id: int, body: CommandBody, actor: Actor, clock: Clock) -> StoredCase:
    """Apply one lifecycle command; a stale version or a lost race is 409 and changes nothing."""
    case, command = plan_command(session, case_id=case_id, body=body, actor=actor)
    case = apply_command(session, case, command, actor=actor, now=clock.now())
    commit(session)
    return case


def plan_command(
    session: Session, *, case_id: int, body: CommandBody, actor: Actor
) -> tuple[StoredCase, states.Command]:
    """The case as the actor may see it and the checked command the body makes on it (reads only).

    A version given that is not the case's is 409; so is a case moved on before `apply_command` saves.
    """
    case, parties = load_as_party(session, actor, case_id)
    if body.version is not None and body.version != case.version:
        raise ConflictError(
            f"the case is at version {case.version}, not {body.version}; reload it", current_version=case.version
        )
    command = body.to_command(parties, routed_unit_id=case.routed_unit_id)
    if isinstance(command, states.Dispatch):
        check_lead_unit(session, case, command.lead_unit_id)
    check_evidence(session, case, command)
    return case, command


def apply_command(
    session: Session,
    case: StoredCase,
    command: states.Command,
    *,
    actor: Actor,
    now: datetime,
    extra: dict[str, object] | None = None,
    event_kind: str | None = None,
    note: dict[str, str] | None = None,
) -> StoredCase:
    """Step the lifecycle and save the result where the row still has the version read (else 409).

    load → `lifecycle.step` → `store.save` → timeline line (which tells the next party) → audit →
    timers. Returns the case as saved; the caller commits.
    """
    definition = matters.definition_by_version_id(session, case.matter_version_id, content_hash=case.matter_hash)
    transition = lifecycle.step(definition, case.state, command, now)  # refusals are 409 / 403 / 422
    placement = _placement(case, command.kind)
    calendar = county_calendar(session, str(placement.get("handling_division", case.handling_division)))
    clock = phase_clock(calendar, definition, transition.state, case.handler_level)
    values = store.state_columns(definition, transition.state, case.handler_level, clock)
    values.update(placement)
    values["closed_at"] = _closed_at(transition.state.status, case, now)
    values.update(extra or {})
    values["updated_at"] = now
    saved = store.save(session, case, transition.state, values)
    kind = event_kind or command.kind.value
    names = frozenset(p.value for p in command.parties)
    ended = (case.phase_due_at, now) if transition.phase_ended and case.phase_due_at else None
    details = store.event_details(transition, note, ended=ended)
    add_event(session, saved, kind=kind, actor=actor, parties=names, details=details, at=now)
    audit_before = {"status": case.status, "version": case.version, "lead_unit_id": case.lead_unit_id}
    audit.record_by(
        session, actor, f"case.{kind}", entity_type="case", entity_id=case.id, before=audit_before, after=values, at=now
    )
    sync_timers(
        session,
        case_id=case.id,
        before=case.state,
        after=transition.state,
        clock=clock,
        definition=definition,
        calendar=calendar,
        now=now,
    )
    return saved


def _placement(case: StoredCase, kind: states.CommandKind) -> dict[str, object]:
    """Escalation hands the case to the level above: its command room triages it next."""
    if kind is not states.CommandKind.ESCALATE:
        return {}
    upper = parent_code(case.dispatcher_division)
    if upper == case.dispatcher_division:
        raise ConflictError("the case is already with the top level; it cannot be escalated further")
    return {"dispatcher_division": upper, "handling_division": upper}


def _closed_at(status: states.CaseStatus, case: StoredCase, now: datetime) -> datetime | None:
    """When the case was closed; a reopened case is open again."""
    if status is states.CaseStatus.CLOSED:
        return now
    if status is states.CaseStatus.REOPENED:
        return None
    return case.closed_at
