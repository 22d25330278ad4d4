"""What the case page shows beyond the API's record: names, words, evidence, the map and who may do what."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.cases import page_names, queries, queue, rating_review
from zhili.cases.collaboration import FINISHED, helper_units
from zhili.cases.disputes import LEAD_EVENTS, REFERRED, lead_dispute_open, referable, referred_and_open
from zhili.cases.linked import GroupSight, LinkedGroup, LinkedKind, linked_groups, sees_no_group
from zhili.cases.models import Case, CasePhoto
from zhili.cases.page_names import Names
from zhili.cases.page_words import EvidenceView, Words
from zhili.cases.parties import calls_back, held_blocks
from zhili.cases.schemas import CaseDetail, UnitRef
from zhili.cases.states import REPORTED_AGAIN, REPORTED_AGAIN_OF, CaseStatus, HelpStatus, MeetingTaskStatus, Party
from zhili.cases.visibility import visible_cases
from zhili.core.auth import Actor
from zhili.matters import queries as matters
from zhili.matters.definition import EscalationAction
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.geometry import metres_between
from zhili.org.models import Division, Position
from zhili.org.routing import CENTRE_ROLES, ancestor_codes, nearest_unit

# The parties who may see who reported a case (name and phone): not a unit only asked to help.
REPORTER_READERS = frozenset({Party.LEAD, Party.DISPATCHER, Party.SUPERVISOR, Party.ORIGINATOR, Party.CITIZEN})


@dataclass(frozen=True, slots=True)
class EventLine:
    """A timeline line in words."""

    seq: int
    kind: str
    at: datetime
    actor: str
    status_after: str
    words: str
    link: str = ""  # where the line leads (a command group's page or report, for those who may open it)


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A probable duplicate as the dispatcher compares it: its number, status, time and what was reported."""

    id: int
    number: str
    status: str
    reported_at: datetime
    description: str


@dataclass(frozen=True, slots=True)
class Reply:
    """The lead's reply the verifier checks: its text and every piece of evidence."""

    at: datetime
    actor: str
    text: str
    evidence: list[EvidenceView]


@dataclass(slots=True)
class CasePage:
    """Everything the case page shows, for one viewer in one language."""

    case: CaseDetail
    definition_name: str
    channel: str
    attributes: list[tuple[str, str]]
    limit: str
    extension: str
    reporter_name: str | None
    reporter_phone: str | None
    may_see_reporter: bool
    timeline: list[EventLine]
    reply: Reply | None
    help_evidence: dict[int, list[EvidenceView]]
    my_requests: set[int]
    my_tasks: set[int]
    open_requests: list[int]
    open_tasks: list[int]
    pending_extension_hours: int | None
    pending_extension_reason: str | None
    units: list[UnitRef]
    lead_candidates: list[UnitRef]
    # The units the dispatch form offers (the matter's lead unit first): after a return or an escalation
    # the command room chooses another unit, not only the one the case was routed to.
    dispatch_units: list[UnitRef]
    convened_by: dict[int, str]
    map_data: str
    # Where, by name: township, village or community, grid (the coordinates go with the map).
    place: str = ""
    # The township of the place (or the place itself when coarser): the meeting form's attendee.
    township_code: str = ""
    photo_ids: list[int] = field(default_factory=list)
    scene_photos: list[int] = field(default_factory=list)
    # The rating review form (回访复核): a rated case not yet reviewed, for those who supervise it.
    may_review_rating: bool = False
    # How the rating was reviewed (`rating_overturned` / `rating_upheld`), said beside it; None before a review.
    rating_reviewed: str | None = None
    duplicates: list[Duplicate] = field(default_factory=list)
    # The case a merged duplicate joined (重复件并案): named instead of the probable duplicates.
    merged_into: Duplicate | None = None
    # The duplicates merged into this case: the reports (and callers) it now answers for.
    merged_here: list[Duplicate] = field(default_factory=list)
    # 重新上报: the case not taken this report mends, and the new report that mended this one (if any).
    mends: Duplicate | None = None
    mended_by: Duplicate | None = None
    # 提请上级裁定: the command room may hand the dispute over the lead (its lead unit returned it) to the level above.
    may_refer_dispute: bool = False
    # 已提请上级裁定: when the dispute went to the level above, while it has not decided (the page says it waits).
    referred_at: datetime | None = None
    # The evidence the matter asks of a reply before the case may close (the reply form says it up front).
    evidence_to_close: tuple[str, ...] = ()
    # Back to the command room by a 退回 or 提级: who turned it back and why, said where it is dispatched again.
    turned_back: TurnedBack | None = None
    # The same turn for every viewer: the case has no lead until dispatched again (the page says so).
    awaiting_dispatch: TurnedBack | None = None
    # The supervision cards (催办 … 红牌, 批示) of the running phase, said where the handler acts: the notice of a
    # card leads there. Each line's words are the card's note.
    cards: list[EventLine] = field(default_factory=list)
    # The extension the decider refused in the running phase (none pending since): its reason, said where the lead acts.
    refused_extension: EventLine | None = None
    # Why the case is back with the lead (核查未通过 with its reason, or a dissatisfied rating with its comment), said
    # where it acts again until it replies: the notice of either leads there.
    sent_back: EventLine | None = None
    # The command groups opened from the case (指挥组), from its timeline lines, and those the viewer may open.
    groups: list[LinkedGroup] = field(default_factory=list)
    groups_in_sight: set[int] = field(default_factory=set)
    # The dispatching division, when the reader may triage the case only as a level above (代为受理/派单).
    stepping_in: str | None = None
    next_step: str | None = None  # 下一步: whose turn it is (待柯城区公安交警大队签收)

    @property
    def open_group(self) -> LinkedGroup | None:
        """The group still open for the case (a second one is refused while it is)."""
        return next((g for g in reversed(self.groups) if g.is_open), None)


@dataclass(frozen=True, slots=True)
class TurnedBack:
    """The lead unit that returned (退回) or escalated (提级) the case, its reason, and which it was."""

    kind: str
    unit_id: int | None
    unit: str
    reason: str
    person: str = ""  # who of the unit turned it back (by name), and when
    at: datetime | None = None


def _last_turn(detail: CaseDetail, names: Names) -> TurnedBack | None:
    """The 退回 or 提级 that left the case without a lead, while it waits to be dispatched again."""
    if detail.status != CaseStatus.ACCEPTED or detail.lead_unit is not None:
        return None
    last = next((e for e in reversed(detail.timeline) if e.kind in LEAD_EVENTS), None)
    if last is None or last.kind not in {"return", "escalate"}:
        return None
    unit_id = last.details.get("from_lead_unit_id")
    unit = names.units.get(unit_id, "") if isinstance(unit_id, int) else ""
    reason = last.details.get("reason")
    who = names.actors.get(last.actor)
    person = who.name if who is not None and who.kind == "person" else ""
    return TurnedBack(
        last.kind, unit_id if isinstance(unit_id, int) else None, unit, str(reason or ""), person, last.at
    )


# The timeline kinds of supervision cards, by hand or by the clock (each rung of `escalation` but the lights).
CARD_KINDS = frozenset(EscalationAction)


def _this_phase(detail: CaseDetail, timeline: list[EventLine]) -> list[tuple[Any, EventLine]]:
    """The running phase's lines (raw and in words); none when no clock runs."""
    started = detail.phase_started_at
    if detail.phase is None or started is None:
        return []
    return [(e, line) for e, line in zip(detail.timeline, timeline, strict=True) if e.at >= started]


def _cards(detail: CaseDetail, timeline: list[EventLine]) -> list[EventLine]:
    """The running phase's supervision cards, each with its note as its words."""
    return [
        replace(line, words=str(e.details.get("note") or ""))
        for e, line in _this_phase(detail, timeline)
        if e.kind in CARD_KINDS
    ]


def _refused_extension(detail: CaseDetail, timeline: list[EventLine]) -> EventLine | None:
    """The running phase's last extension line when it is a refusal (none asked since), with its reason as its words."""
    asked = [(e, line) for e, line in _this_phase(detail, timeline) if e.kind.endswith("_extension")]
    if not asked or asked[-1][0].kind != "refuse_extension":
        return None
    e, line = asked[-1]
    return replace(line, words=str(e.details.get("reason") or ""))


def _sent_back(detail: CaseDetail, timeline: list[EventLine]) -> EventLine | None:
    """The failed verification or the reopening rating the lead has not replied to since, with its reason or comment."""
    if detail.status not in {CaseStatus.IN_PROGRESS, CaseStatus.REOPENED}:
        return None
    turns = [(e, line) for e, line in zip(detail.timeline, timeline, strict=True) if e.kind in _TURNS_BACK]
    if not turns or turns[-1][0].kind == "reply" or turns[-1][1].status_after not in _REWORK:
        return None
    e, line = turns[-1]
    return replace(line, words=str(e.details.get("reason") or e.details.get("comment") or ""))


# A reply, and what sends one back to the lead: a failed verification (rework) or a rating that reopens the case.
_TURNS_BACK = frozenset({"reply", "verify_failed", "rate"})
_REWORK = frozenset({CaseStatus.IN_PROGRESS.value, CaseStatus.REOPENED.value})


def case_page(
    session: Session, actor: Actor, case_id: int, *, now: datetime, lang: str, sight: GroupSight = sees_no_group
) -> CasePage:
    """The case as its page shows it to `actor` in `lang` (404 outside their scope, as `case_detail`).

    `sight` says which of the case's command groups the viewer may open: only those are linked.
    """
    detail = queries.case_detail(session, actor, case_id, now=now)
    case = session.get(Case, detail.id)
    assert case is not None  # noqa: S101 - case_detail just read it
    definition = matters.definition_by_version_id(session, case.matter_version_id, content_hash=case.matter_hash)
    words, names = Words(lang), _names(session, detail, actor)
    parties = {Party(p) for p in detail.my_parties}
    may_see_reporter = actor.is_admin or bool(parties & REPORTER_READERS)
    reply = _reply(detail, words, names)
    units = helper_units(session, definition, detail.handling_division)
    candidates = _lead_candidates(session, detail, definition.lead_kind, units)
    groups = linked_groups((e.kind, e.at, e.details) for e in detail.timeline)
    in_sight = sight(session, actor, [g.id for g in groups]) if groups else set()
    timeline = _linked(_timeline(detail, words, names), detail, in_sight)
    turn = _last_turn(detail, names)
    answers = {r.id: words.evidence(r.evidence) for r in detail.collaboration}
    # A report by a logged-in person names no reporter on the row: the report's actor is the reporter.
    reported_by = next((e.actor for e in timeline if e.kind == "report"), None)
    return CasePage(
        case=detail,
        definition_name=words.pick(definition.name_zh, definition.name_en),
        channel=words.t(f"casepage.channel.{detail.channel}"),
        attributes=words.attributes(definition, detail.attributes),
        limit=words.limit(case.phase_limit_amount, case.phase_limit_unit),
        # An extension granted to the lead is added to its handling limit: said beside it, or the due time puzzles.
        extension=words.limit(case.granted_extension_hours, "hours") if detail.phase == "handle" else "",
        # A phone without a name was a caller's who gave none: the operator who filed it is not named as them.
        reporter_name=(case.reporter_name or (None if case.reporter_phone else reported_by))
        if may_see_reporter
        else None,
        reporter_phone=case.reporter_phone if may_see_reporter else None,
        may_see_reporter=may_see_reporter,
        timeline=timeline,
        reply=reply,
        help_evidence=answers,
        **_open_work(detail, actor),
        pending_extension_hours=case.pending_extension_hours,
        pending_extension_reason=case.last_reason if case.pending_extension_hours else None,
        units=units,
        township_code=DivisionCode(detail.place_code).at_most(DivisionLevel.TOWNSHIP).value,
        # 裁定牵头部门 only while a dispute is open (the lead unit returned the case), as `decide_lead` insists.
        lead_candidates=candidates if Party.SUPERVISOR in parties and _in_dispute(detail) else [],
        # The unit that just returned it is still offered, but last: a browser picks the first, and a dispatch
        # straight back to it is the likely dead end.
        dispatch_units=sorted(candidates, key=lambda u: turn is not None and turn.unit_id == u.id)
        if "dispatch" in detail.allowed_commands
        else [],
        may_refer_dispute=Party.DISPATCHER in parties
        and Party.SUPERVISOR not in parties
        and referable(detail.status, (e.kind for e in detail.timeline)),
        referred_at=next(e.at for e in reversed(detail.timeline) if e.kind == REFERRED)
        if referred_and_open(detail.status, (e.kind for e in detail.timeline))
        else None,
        convened_by={m.id: words.actor(names.actors.get(m.convened_by)) for m in detail.meetings},
        map_data=_map_data(session, detail, reply, words),
        place=page_names.place_paths(session, [detail.place_code])[detail.place_code],
        photo_ids=[p.id for p in detail.photos],
        # The scene's photos: those the reply or a unit's help answer cites are shown with them, not mixed in here.
        scene_photos=_scene_photos(session, detail, reply, answers),
        duplicates=[] if detail.duplicate_of_id else _duplicates(session, detail.probable_duplicates),
        merged_into=next(iter(_duplicates(session, [detail.duplicate_of_id] if detail.duplicate_of_id else [])), None),
        merged_here=_duplicates(session, queries.merged_here(session, actor, case)),
        mends=_reported_again(session, actor, detail, REPORTED_AGAIN_OF),
        mended_by=_reported_again(session, actor, detail, REPORTED_AGAIN),
        evidence_to_close=tuple(kind.value for kind in definition.evidence_to_close),
        # Everyone reads who turned it back (牵头部门：待重新派单); the dispatcher is asked to dispatch again.
        awaiting_dispatch=turn,
        turned_back=turn if "dispatch" in detail.allowed_commands else None,
        cards=_cards(detail, timeline),
        refused_extension=_refused_extension(detail, timeline),
        sent_back=_sent_back(detail, timeline),
        may_review_rating=rating_review.may_review(
            detail.status, detail.my_parties, is_admin=actor.is_admin, kinds={e.kind for e in detail.timeline}
        ),
        rating_reviewed=next((e.kind for e in detail.timeline if e.kind in rating_review.REVIEW_KINDS), None),
        groups=groups,
        groups_in_sight=in_sight,
        stepping_in=_stepping_in(session, actor, detail),
        next_step=_next_step(session, detail, case, words, reader_reported=Party.ORIGINATOR in parties),
    )


# Whose turn it is, by status: who the lead is (`lead`), the dispatching division (`centre`), who verifies.
_NEXT: dict[str, str] = {
    CaseStatus.REPORTED: "centre",
    CaseStatus.ACCEPTED: "centre",
    CaseStatus.DISPATCHED: "lead",
    CaseStatus.SIGNED: "lead",
    CaseStatus.IN_PROGRESS: "lead",
    CaseStatus.REOPENED: "lead",
    CaseStatus.SUSPENDED: "lead",
    CaseStatus.FEEDBACK: "verifier",
    CaseStatus.VERIFIED: "lead",
    CaseStatus.CLOSED: "rater",
}


def _next_step(session: Session, detail: CaseDetail, case: Case, words: Words, *, reader_reported: bool) -> str | None:
    """下一步: whose turn it is and to do what (待柯城区公安交警大队签收), for every reader of an open case.

    A reply is verified by the person who filed it or by the dispatching centre (`lifecycle._VERIFIERS`);
    the reader who filed it reads 您.
    """
    who = _NEXT.get(detail.status)
    if who is None or detail.duplicate_of_id:
        return None
    division = session.scalar(select(Division.name).where(Division.code == detail.dispatcher_division)) or ""
    level = "township" if DivisionCode(detail.dispatcher_division).has_level(DivisionLevel.TOWNSHIP) else "county"
    centre = words.t(f"casepage.next.centre_{level}").format(name=division)
    status = detail.status
    if status in {CaseStatus.IN_PROGRESS, CaseStatus.SUSPENDED} and case.pending_extension_hours:
        return words.t("casepage.next.extension").format(who=centre)
    reporter = words.t("casepage.next.you" if reader_reported else "casepage.next.reporter")
    named = {
        "centre": centre,
        "lead": detail.lead_unit.name if detail.lead_unit else "",
        "verifier": words.t("casepage.next.either").format(reporter=reporter, centre=centre)
        if case.originator_person_id
        else centre,
        "rater": reporter if not calls_back(case) else centre,
    }[who]
    return words.t(f"casepage.next.{status}").format(who=named)


# The dispatcher's commands: triage, the extension decision, verification, the call-back rating, the archive.
_TRIAGE = frozenset(
    {
        "accept",
        "reject",
        "dispatch",
        "approve_extension",
        "refuse_extension",
        "verify",
        "verify_failed",
        "rate",
        "archive",
    }
)


def _stepping_in(session: Session, actor: Actor, detail: CaseDetail) -> str | None:
    """Who triages the case, by name, when the reader may triage it but it is not their turn (`queue.first_line`).

    The dispatching division's centre, else the nearest division above with one (one without a centre post).
    """
    as_dispatcher = Party.DISPATCHER.value in detail.my_parties and Party.ORIGINATOR.value not in detail.my_parties
    if (
        not as_dispatcher
        or _TRIAGE.isdisjoint(detail.allowed_commands)
        or actor.is_admin
        or detail.dispatcher_division in held_blocks(actor)
    ):
        return None
    if session.scalar(select(queue.first_line(actor)).select_from(Case).where(Case.id == detail.id)):
        return None
    triaging = (
        select(Division.name)
        .join(Position, Position.division_code == Division.code)
        .where(
            Position.role.in_(CENTRE_ROLES),
            Position.department_id.is_(None),
            Division.code.in_(ancestor_codes(detail.dispatcher_division)),
        )
        .order_by(func.length(Division.code).desc())
        .limit(1)
    )
    return session.scalar(triaging)


def _linked(timeline: list[EventLine], detail: CaseDetail, in_sight: set[int]) -> list[EventLine]:
    """A command group's lines linked to its page (its closure report once closed), for those who may open it."""
    lines = []
    for e, line in zip(detail.timeline, timeline, strict=True):
        group_id = e.details.get("group_id")
        if e.kind in _GROUP_LINES and isinstance(group_id, int) and group_id in in_sight:
            page = "/report" if e.kind == LinkedKind.GROUP_CLOSED else ""
            lines.append(replace(line, link=f"/groups/{group_id}{page}"))
        elif e.kind in _CASE_LINES and isinstance(e.details.get("case_id"), int):
            lines.append(replace(line, link=f"/cases/{e.details['case_id']}"))
        else:
            lines.append(line)
    return lines


_GROUP_LINES = frozenset({LinkedKind.GROUP_OPENED.value, LinkedKind.GROUP_CLOSED.value})
_CASE_LINES = frozenset({REPORTED_AGAIN, REPORTED_AGAIN_OF})


def _reported_again(session: Session, actor: Actor, detail: CaseDetail, kind: str) -> Duplicate | None:
    """The case the newest line of this kind (重新上报) names, by its number and what it said: if the reader sees it."""
    ids = [i for e in detail.timeline if e.kind == kind and isinstance(i := e.details.get("case_id"), int)][-1:]
    seen = list(session.scalars(select(Case.id).where(Case.id.in_(ids), visible_cases(actor)))) if ids else []
    return next(iter(_duplicates(session, seen)), None)


def _in_dispute(detail: CaseDetail) -> bool:
    return lead_dispute_open(detail.status, (e.kind for e in detail.timeline))


def _open_work(detail: CaseDetail, actor: Actor) -> dict[str, Any]:
    """The requests and tasks still open, and those the actor's units may finish now."""
    mine, is_open = set(actor.units), CaseStatus(detail.status) not in FINISHED
    requests = [r for r in detail.collaboration if r.status == HelpStatus.REQUESTED]
    tasks = [t for t in detail.tasks if t.status == MeetingTaskStatus.OPEN]
    return {
        "my_requests": {r.id for r in requests if is_open and r.unit.id in mine},
        "my_tasks": {t.id for t in tasks if is_open and t.owner.id in mine},
        "open_requests": [r.id for r in requests],
        "open_tasks": [t.id for t in tasks],
    }


def _names(session: Session, detail: CaseDetail, actor: Actor) -> Names:
    """The names of every id and actor the timeline and meetings mention; a post's holder only inside the scope."""
    unit_ids: set[int] = set()
    divisions: set[str] = set()
    posts: set[int] = set()
    for event in detail.timeline:
        d = event.details
        unit_ids.update(
            v for k in ("routed_unit_id", "lead_unit_id", "from_lead_unit_id") if isinstance(v := d.get(k), int)
        )
        unit_ids.update(v for v in d.get("units", []) if isinstance(v, int))
        if isinstance(division := d.get("handling_division"), str):
            divisions.add(division)
        if isinstance(post := d.get("contact_position_id"), int):
            posts.add(post)
    audit_names = [e.actor for e in detail.timeline] + [m.convened_by for m in detail.meetings]
    return Names(
        units=page_names.unit_names(session, unit_ids),
        divisions=page_names.division_names(session, divisions),
        posts=page_names.post_holders(session, posts, actor),
        actors=page_names.actor_names(session, audit_names),
    )


def _timeline(detail: CaseDetail, words: Words, names: Names) -> list[EventLine]:
    extra = {f"request:{r.id}": r.unit.name for r in detail.collaboration}
    extra |= {f"task:{t.id}": t.description for t in detail.tasks}
    extra |= {f"meeting:{m.id}": m.title for m in detail.meetings}
    return [
        EventLine(
            seq=e.seq,
            kind=e.kind,
            at=e.at,
            actor=words.actor(names.actors.get(e.actor)),
            status_after=e.status_after,
            words=words.event(e.details, names, extra),
        )
        for e in detail.timeline
    ]


def _reply(detail: CaseDetail, words: Words, names: Names) -> Reply | None:
    """The latest reply of the lead (after a failed verification, the one to check now)."""
    replies = [e for e in detail.timeline if e.kind == "reply"]
    if not replies:
        return None
    last = replies[-1]
    evidence = last.details.get("evidence")
    text = str(last.details.get("text", ""))
    shown = words.evidence(evidence if isinstance(evidence, list) else [])
    # The reply's own text given as the text the matter asks (the form's default) is read once, above.
    return Reply(
        at=last.at,
        actor=words.actor(names.actors.get(last.actor)),
        text=text,
        evidence=[_far_or_near(e, detail) for e in shown if not (e.kind == "text" and e.text == text)],
    )


def _scene_photos(
    session: Session, detail: CaseDetail, reply: Reply | None, answers: dict[int, list[EvidenceView]]
) -> list[int]:
    """The case's photos less those a handler added and the reply (处置反馈) or a help answer (协同回复) cites.

    `answers` is the help answers' evidence as the page shows it (`Words.evidence`, which reads the photo refs).
    A photo the reporter took stays with the scene even when a reply cites it: before and after stay apart.
    """
    shown = [*(reply.evidence if reply else []), *(e for views in answers.values() for e in views)]
    cited = {e.photo_id for e in shown if e.photo_id is not None}
    if not cited:
        return [p.id for p in detail.photos]
    reporter = next((e.actor for e in detail.timeline if e.kind == "report"), None)
    by_reporter = set(
        session.scalars(select(CasePhoto.id).where(CasePhoto.id.in_(sorted(cited)), CasePhoto.uploaded_by == reporter))
    )
    return [p.id for p in detail.photos if p.id not in cited or p.id in by_reporter]


# A reply's GPS fix this far from the case's point is said so to the verifier (the fix may be from the office).
FAR_FROM_CASE_M = 1_000.0


def _far_or_near(shown: EvidenceView, detail: CaseDetail) -> EvidenceView:
    """A GPS fix with its distance from the case's point when it is far from it; anything else as it is."""
    if shown.lon is None or shown.lat is None or detail.lon is None or detail.lat is None:
        return shown
    metres = metres_between((shown.lon, shown.lat), (detail.lon, detail.lat))
    return replace(shown, far_m=metres) if metres >= FAR_FROM_CASE_M else shown


# How much of a duplicate's description the page shows beside its number.
DUPLICATE_DESCRIPTION = 60


def _duplicates(session: Session, ids: list[int]) -> list[Duplicate]:
    """The probable duplicates (already scoped by `probable_duplicates`) by number, not by row id."""
    if not ids:
        return []
    rows = session.execute(
        select(Case.id, Case.number, Case.status, Case.created_at, Case.description)
        .where(Case.id.in_(ids))
        .order_by(Case.id)
    ).all()
    return [
        Duplicate(row.id, row.number, row.status, row.created_at, row.description[:DUPLICATE_DESCRIPTION])
        for row in rows
    ]


def _lead_candidates(session: Session, detail: CaseDetail, lead_kind: str, helpers: list[UnitRef]) -> list[UnitRef]:
    """Units that may lead the case awaiting dispatch: the matter's lead kind there, the routed unit, the helpers."""
    if detail.status != CaseStatus.ACCEPTED:
        return []
    lead = nearest_unit(session, kind=lead_kind, division_code=detail.handling_division)
    found = ([UnitRef(id=lead.id, name=lead.name)] if lead else []) + [detail.routed_unit, *helpers]
    unique: dict[int, UnitRef] = {}
    for unit in found:
        unique.setdefault(unit.id, unit)
    return list(unique.values())


def _map_data(session: Session, detail: CaseDetail, reply: Reply | None, words: Words) -> str:
    """The case point, every GPS fix of the reply and of help replies, and the grid's outline, as JSON."""
    fixes: list[dict[str, Any]] = []
    if reply:
        fixes += [{"lon": e.lon, "lat": e.lat, "label": words.t("casepage.reply")} for e in reply.evidence if e.lon]
    for request in detail.collaboration:
        fixes += [
            {"lon": e.lon, "lat": e.lat, "label": request.unit.name} for e in words.evidence(request.evidence) if e.lon
        ]
    grid = None
    if detail.grid_code:
        grid = session.scalar(select(Division.geometry).where(Division.code == detail.grid_code))
    point = {"lon": detail.lon, "lat": detail.lat, "label": words.t("casepage.case_point")} if detail.lon else None
    return json.dumps({"case": point, "fixes": fixes, "grid": json.loads(grid) if grid else None}, ensure_ascii=False)
