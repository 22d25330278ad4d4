"""Every hand-off notifies: after each timeline line, whoever's turn it now is gets told, in words, with a link.

`service.add_event` calls `tell` for every line it appends, so every case action (a lifecycle
command, a help request, a meeting, a cancelled request) tells the next party by construction:
there is no second place to forget. `TURNS` says, per event kind, who acts next and what they are
to do; a kind missing from it tells nobody (the actor keeps the turn: sign → start, say). Every
lifecycle command has an entry, `NOBODY` where no one else acts (tested).
The notice carries a title, the case in words (number, matter, place, what was reported), the
deadline in local time and a link to the part of the case page where they act, as message keys
(`handoff.<kind>`, `notice.case.*`): stored in Chinese for every channel, shown in the reader's
language in the inbox (`notify.wording`). The actor is never told of their own step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, String, and_, bindparam, cast, exists, or_, select, true, union
from sqlalchemy.orm import Session

from zhili.cases.lead_audience import told_in
from zhili.cases.models import CaseEvent, CaseTask, CollaborationRequest
from zhili.cases.parties import caller_to_call_back, calls_back
from zhili.cases.states import CaseStatus, CommandKind, HelpStatus
from zhili.cases.store import StoredCase
from zhili.core.auth import Actor
from zhili.core.clock import FrozenClock
from zhili.core.prepared import Prepared
from zhili.core.shared_reads import shared
from zhili.matters import queries as matters
from zhili.notify.batch import Letter, contacts_where, notify_each
from zhili.notify.kinds import Severity
from zhili.notify.models import Notification
from zhili.notify.service import Notice
from zhili.notify.wording import Name, Part, When, Words
from zhili.org.division_code import DivisionCode, DivisionLevel
from zhili.org.models import Department, Division, Person, Position
from zhili.org.places import place_word
from zhili.org.routing import centre_posts, parent_code

DESCRIPTION_IN_NOTICE = 60
__all__ = [
    "ACTS",
    "ASKING",
    "NOBODY",
    "TURNS",
    "Line",
    "Next",
    "Turn",
    "deadline_line",
    "tell",
    "tell_each",
    "title_key",
    "turn_for",
]


class Next(StrEnum):
    """Who acts next, relative to the case."""

    LEAD = "lead"  # the lead unit's people (before dispatch: the unit the case was routed to)
    DISPATCHER = "dispatcher"  # the centre or command room of the dispatching division
    ABOVE = "above"  # the centre of the level above the dispatching division (it decides a dispute over the lead)
    VERIFIER = "verifier"  # the person who filed it; a citizen's report is verified by the dispatcher
    REPORTER = "reporter"  # the person who filed it (a rating, a rejection)
    CALLBACK = (
        "callback"  # a citizen with no login: the dispatcher calls them back for the rating (`parties.calls_back`)
    )
    CONTACT = "contact"  # the grid's contact officer of the lead's department (两网融合)
    ASKED = "asked"  # the units named in the line (asked for help, a request cancelled)
    OWNERS = "owners"  # the owner units of the tasks the meeting decided


@dataclass(frozen=True)
class Turn:
    """Whose turn an event makes it, what they are to do (title prefix), and where on the page."""

    to: tuple[Next, ...]
    zh: str
    anchor: str = "actions"
    severity: Severity = Severity.INFO
    when_status: CaseStatus | None = None  # only when the event leaves the case in this status
    dated: bool = True  # False: nothing is left to do by a time (a request withdrawn), so no deadline is said


NOBODY = Turn((), "")
K = CommandKind
TURNS: dict[str, Turn] = {
    # The loop: report → accept → dispatch → sign → start → reply → verify → close → rate.
    K.REPORT.value: Turn((Next.DISPATCHER,), "新上报待受理"),
    "contact_informed": Turn((Next.CONTACT,), "网格内新办件，请知悉", anchor="summary"),
    K.ACCEPT.value: NOBODY,  # the dispatcher dispatches next
    K.REJECT.value: Turn((Next.REPORTER,), "上报未受理", anchor="timeline"),
    K.DISPATCH.value: Turn((Next.LEAD,), "新派单待签收"),
    K.SIGN.value: NOBODY,
    K.RETURN.value: Turn((Next.DISPATCHER,), "办件被退回，待重新派单", severity=Severity.YELLOW),
    K.START.value: NOBODY,
    K.ESCALATE.value: Turn((Next.DISPATCHER,), "办件已提级，待派单", severity=Severity.YELLOW),
    K.REQUEST_EXTENSION.value: Turn((Next.DISPATCHER,), "延期申请待审批"),
    K.APPROVE_EXTENSION.value: Turn((Next.LEAD,), "延期申请已批准"),
    K.REFUSE_EXTENSION.value: Turn((Next.LEAD,), "延期申请未批准", severity=Severity.YELLOW),
    K.SUSPEND.value: Turn((Next.DISPATCHER,), "办件已挂起，请知悉", anchor="timeline"),
    K.RESUME.value: Turn((Next.LEAD, Next.DISPATCHER), "办件已恢复办理"),
    K.REPLY.value: Turn((Next.VERIFIER,), "办理回复待核查", anchor="reply"),  # what to verify, the buttons below
    K.VERIFY.value: Turn((Next.LEAD,), "核查通过，待办结"),
    K.VERIFY_FAILED.value: Turn((Next.LEAD,), "核查未通过，请返工", severity=Severity.YELLOW),
    K.CLOSE.value: Turn((Next.REPORTER, Next.CALLBACK), "办件已办结，请评价"),
    K.RATE.value: Turn(
        (Next.LEAD,), "群众不满意，办件重新办理", severity=Severity.YELLOW, when_status=CaseStatus.REOPENED
    ),
    K.ARCHIVE.value: NOBODY,
    # Decisions on a case that go through the lifecycle under their own event kind.
    "merged": Turn((Next.REPORTER,), "上报已合并到另一办件", anchor="timeline"),
    "lead_decided": Turn((Next.LEAD,), "已确定牵头单位，待签收"),
    "dispute_referred": Turn((Next.ABOVE,), "牵头部门有争议，待裁定", severity=Severity.YELLOW),
    # Collaboration and consultation.
    "help_requested": Turn((Next.ASKED,), "部门协同待回复", anchor="collaboration"),
    "help_replied": Turn((Next.LEAD,), "协同单位已回复", anchor="collaboration"),
    "help_cancelled": Turn((Next.ASKED,), "协同请求已撤销", anchor="collaboration", dated=False),
    "meeting_held": Turn((Next.OWNERS,), "会商任务待完成", anchor="meetings"),
    "task_done": Turn((Next.LEAD,), "会商任务已完成", anchor="meetings"),
    "task_cancelled": Turn((Next.ASKED,), "会商任务已撤销", anchor="meetings", dated=False),
    # Lines other domains add (`linked.py`): the firm of an open wage-arrears case warned again.
    "warning_joined": Turn((Next.LEAD,), "该企业出现新的欠薪预警", anchor="timeline", severity=Severity.YELLOW),
    # A command group opened from the case: its lead is told, unless its people are members (told by the group).
    "group_opened": Turn((Next.LEAD,), "办件已成立指挥组", anchor="groups"),
}


# A second audience of a line, told in a notice of its own (its own topic, `case.<kind>`, never in ASKING: the first
# audience's act does not settle it): the centre whose dispatch was disputed learns how the lead was decided.
ALSO: dict[str, tuple[str, Turn]] = {
    "lead_decided": (
        "lead_decided_known",
        Turn((Next.DISPATCHER,), "牵头单位已裁定", anchor="timeline", dated=False),
    ),
}


# The hand-offs that ask one party to act (not a 请知悉): once one of those told has acted on the case, the
# others' copies are settled (`notify.inbox.settle_about`). Escalation rungs (督办, 红牌) are never settled so.
ASKING: frozenset[str] = frozenset(
    f"case.{kind}"
    for kind in (
        K.REPORT, K.DISPATCH, K.RETURN, K.ESCALATE, K.REQUEST_EXTENSION, K.REPLY, K.VERIFY, K.VERIFY_FAILED, K.RATE,
        "lead_decided", "dispute_referred", "help_requested", "meeting_held",
    )
)  # fmt: skip
# The report a centre operator filed themself (a call taken at the desk) is told to their colleagues, never to
# them: once they act on the case (accept, dispatch), it is settled for the others as if they had been told
# with them (`notify.inbox.settle_about`). Only the report: another line's asking notice (an extension or help
# asked for) asks someone else, and the asker's next act answers nothing of it.
ANSWERS_REPORT: frozenset[str] = frozenset({K.ACCEPT.value, K.REJECT.value, K.DISPATCH.value, "merged"})
"""The acts that answer a report (新上报待受理): only they settle the filer's colleagues' notices of it."""
_LINE_KEY = bindparam("b_key", type_=String) + cast(CaseEvent.seq, String)
FILED_BY_ACTOR: ColumnElement[bool] = exists().where(
    CaseEvent.case_id == bindparam("b_case_id"),
    CaseEvent.kind == K.REPORT.value,
    CaseEvent.actor == bindparam("b_actor"),
    or_(Notification.key == _LINE_KEY, Notification.key.like(_LINE_KEY + ":%")),
)
# A lead unit's turn is anyone's of the unit to take, though only some of it are told (`_TOLD_IN_LEAD`): an act
# by someone with a post in the lead unit (`b_lead_unit`) settles the unit's asking notices for those told.
LEAD_ASKING: frozenset[str] = frozenset(
    topic for topic in ASKING if Next.LEAD in TURNS.get(topic.removeprefix("case."), NOBODY).to
)
ACTED_FOR_LEAD: ColumnElement[bool] = and_(
    Notification.topic.in_(sorted(LEAD_ASKING)),
    exists().where(
        Position.person_id == bindparam("b_person"), Position.department_id == bindparam("b_lead_unit", type_=Integer)
    ),
)
FILED_OR_ACTED_FOR_LEAD: ColumnElement[bool] = or_(FILED_BY_ACTOR, ACTED_FOR_LEAD)


# The lines that are someone's act on the case, taking their turn (a photo added or a group opened takes none).
ACTS: frozenset[str] = frozenset(
    {*(kind.value for kind in CommandKind), "help_replied", "task_done", "lead_decided", "merged"}
)


def turn_for(kind: str, status_after: str) -> Turn:
    """The turn an event of this kind makes (NOBODY when no one else acts next)."""
    turn = TURNS.get(kind, NOBODY)
    if turn.when_status is not None and turn.when_status.value != status_after:
        return NOBODY
    return turn


@dataclass(frozen=True)
class Line:
    """A timeline line just appended: its kind, details and number."""

    kind: str
    details: Mapping[str, Any]
    seq: int


def tell(
    session: Session, case: StoredCase, *, kind: str, details: Mapping[str, Any], actor: Actor, seq: int, at: datetime
) -> None:
    """Notify the people whose turn the event `seq` of this case makes it (nothing when it is nobody's)."""
    tell_each(session, case, [Line(kind, details, seq)], actor=actor, at=at)


def tell_each(session: Session, case: StoredCase, lines: Sequence[Line], *, actor: Actor, at: datetime) -> None:
    """`tell` for each of several lines of one case appended at once (a report's first lines).

    Each line's audience is one small read; the words they share (the matter, the place's name) are
    read once, and the letters are queued together (`notify_each`: the same rules as `notify`).
    """
    words: _Words | None = None
    letters: list[Letter] = []
    told_turns = [(line, line.kind, turn_for(line.kind, case.status)) for line in lines]
    told_turns += [(line, *ALSO[line.kind]) for line in lines if line.kind in ALSO]
    for line, kind, turn in told_turns:
        if not turn.to:
            continue
        for part, facts in _parts(session, turn, dict(line.details)):
            who = _audience(case, turn.to, facts)
            if not who:
                continue
            branches = tuple(sorted(who))
            told = {**who, "b_actor": actor.person_id if actor.person_id is not None else -1}
            if "b_unit" in who:
                told |= {"b_lead_grid": case.grid_code, "b_lead_case": case.id}
            contacts = _contacts(session, branches, told)
            people = tuple(sorted({row.id for row in contacts}))
            if not people:
                continue
            words = words or _Words.of(session, case)
            title, body = words.told(session, case, kind, turn, facts, actor=actor)
            # Chinese for every channel; the keys and parameters for the inbox, in the reader's language.
            notice = Notice.worded(
                topic=f"case.{kind}",
                severity=turn.severity,
                title=title,
                body=body,
                key=f"case:{case.id}:event:{line.seq}{part}" + ("" if kind == line.kind else f":{kind}"),
                now=at,
                link=f"/cases/{case.id}#{turn.anchor}",
                subject=f"case:{case.id}",
            )
            letters.append(Letter(notice, people, contacts))
    notify_each(session, letters, clock=FrozenClock(at))


def _parts(session: Session, turn: Turn, facts: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Each unit asked at once, or given tasks by one meeting, is told of its own, with its own deadline.

    Any other turn is told once. The part is the notice key's suffix (`:unit:<id>`), empty for a turn told once.
    """
    units = _units_named(facts)
    if turn.to == (Next.ASKED,) and "units" in facts and len(units) > 1:
        return [(f":unit:{unit}", {**facts, "units": [unit]}) for unit in units]
    if turn.to == (Next.OWNERS,) and isinstance(meeting := facts.get("meeting_id"), int):
        owners = session.scalars(
            select(CaseTask.owner_unit_id)
            .where(CaseTask.meeting_id == meeting)
            .distinct()
            .order_by(CaseTask.owner_unit_id)
        ).all()
        if len(owners) > 1:
            return [(f":unit:{owner}", {**facts, "owner_unit_id": owner}) for owner in owners]
    return [("", facts)]


def _audience(case: StoredCase, to: tuple[Next, ...], facts: dict[str, Any]) -> dict[str, object]:
    """Who each party of the turn is, as the parameters of `_BRANCHES` (a way that names nobody is left out)."""
    originator = case.originator_person_id
    dispatcher = (
        Next.DISPATCHER in to
        or (Next.VERIFIER in to and originator is None)
        or (Next.CALLBACK in to and calls_back(case))
    )
    person = Next.REPORTER in to or (Next.VERIFIER in to and originator is not None)
    ways: dict[str, object] = {
        # A line may say its lead knows already (`lead_informed`: a command group with the lead's people in it).
        "b_unit": (case.lead_unit_id or case.routed_unit_id)
        if Next.LEAD in to and not facts.get("lead_informed")
        else None,
        "b_centre": case.dispatcher_division if dispatcher else None,
        "b_above": parent_code(case.dispatcher_division) if Next.ABOVE in to else None,
        "b_person": originator if person else None,
        "b_position": case.contact_position_id if Next.CONTACT in to else None,
        "b_units": _units_named(facts) if Next.ASKED in to else None,
        "b_meeting": facts.get("meeting_id") if Next.OWNERS in to and "owner_unit_id" not in facts else None,
        "b_owner": facts.get("owner_unit_id") if Next.OWNERS in to else None,
    }
    return {name: value for name, value in ways.items() if value is not None and value != []}


# Whose turn it is: an indexed lookup per way of naming people, by the parameter it binds.
_P = Position
# Who of the lead unit is told (`lead_audience`): the grid's contact officer, its heads, desk and those who acted.
_TOLD_IN_LEAD = told_in(
    bindparam("b_unit", type_=Integer), bindparam("b_lead_grid", type_=String), bindparam("b_lead_case", type_=Integer)
)
_BRANCHES: dict[str, Select[int]] = {
    "b_unit": select(_P.person_id).where(_TOLD_IN_LEAD),
    "b_centre": select(_P.person_id).where(centre_posts(bindparam("b_centre", type_=String))),
    "b_above": select(_P.person_id).where(centre_posts(bindparam("b_above", type_=String))),
    "b_person": select(_P.person_id).where(_P.person_id == bindparam("b_person", type_=Integer)),
    "b_position": select(_P.person_id).where(_P.id == bindparam("b_position", type_=Integer)),
    "b_units": select(_P.person_id).where(_P.department_id.in_(bindparam("b_units", expanding=True))),
    "b_owner": select(_P.person_id).where(_P.department_id == bindparam("b_owner", type_=Integer)),
    "b_meeting": select(_P.person_id).where(
        _P.department_id.in_(
            select(CaseTask.owner_unit_id).where(CaseTask.meeting_id == bindparam("b_meeting", type_=Integer))
        )
    ),
}


@lru_cache(maxsize=64)
def _audience_of(branches: tuple[str, ...]) -> Select[int]:
    """The people the named ways find, each once, never the actor (`b_actor`) told of their own step.

    Built once per combination of ways (a turn uses one or two), so a hand-off reads only the
    lookups it needs.
    """
    parts = [_BRANCHES[name] for name in branches]
    found = (parts[0] if len(parts) == 1 else union(*parts)).subquery("audience")
    return select(found.c.person_id).where(found.c.person_id != bindparam("b_actor", type_=Integer)).distinct()


def _contacts(session: Session, branches: tuple[str, ...], params: dict[str, object]) -> tuple[Any, ...]:
    """The audience's contacts and channel preferences, read with the audience in one statement.

    Prepared, but for units named in the line (a list bound per call: Core).
    """
    if "b_units" in branches:
        return tuple(session.connection().execute(_contacts_of(branches), params))
    return tuple(_prepared_contacts(branches).run(session, params).all())


@lru_cache(maxsize=64)
def _contacts_of(branches: tuple[str, ...]) -> Select[*tuple[Any, ...]]:
    return contacts_where(Person.id.in_(_audience_of(branches)))


@lru_cache(maxsize=64)
def _prepared_contacts(branches: tuple[str, ...]) -> Prepared:
    return Prepared(_contacts_of(branches))


def _units_named(facts: dict[str, Any]) -> list[int]:
    named = facts.get("units") or ([facts["unit_id"]] if "unit_id" in facts else [])
    return [int(unit) for unit in named if isinstance(unit, int)]


def title_key(kind: str) -> str:
    """The message key of a hand-off's title: `["<turn>：{matter} · {place}", "<turn>: {matter_en} · {place}"]`."""
    return f"handoff.{kind}"


@dataclass(frozen=True)
class _Words:
    """What every notice about a case says: its matter's name (Chinese and English) and its place's."""

    matter: str
    place: str
    matter_en: str = ""

    @classmethod
    def of(cls, session: Session, case: StoredCase) -> _Words:
        definition = matters.definition_by_version_id(session, case.matter_version_id, content_hash=case.matter_hash)
        return cls(definition.name_zh, place_name(session, case.place_code), definition.name_en or definition.name_zh)

    def title_params(self) -> dict[str, str]:
        """The parameters of a hand-off title's message key."""
        return {"matter": self.matter, "matter_en": self.matter_en, "place": self.place}

    def told(
        self, session: Session, case: StoredCase, kind: str, turn: Turn, facts: dict[str, Any], *, actor: Actor
    ) -> tuple[Words, list[Part]]:
        """The title and body: the case in words, who did it, and the deadline in local time."""
        due = _deadline(session, case, turn, facts)
        lines: list[Part] = [
            Words("notice.case.case", {"number": case.number, "matter": self.matter_name}),
            self.place_line(case.address),
            Words("notice.case.situation", {"text": _situation(case)}),
            # A report names its reporter (上报人), any other step who took it (经办).
            Words("notice.case.reported_by" if kind == "report" else "notice.case.by", {"name": Name.of_actor(actor)}),
        ]
        # A unit's answer to the lead: which of the units asked it is (the lead may have asked several).
        if turn.to == (Next.LEAD,) and turn.anchor == "collaboration" and isinstance(facts.get("unit_id"), int):
            unit = session.scalar(select(Department.name).where(Department.id == facts["unit_id"]))
            if unit:
                lines.insert(3, Words("notice.case.unit", {"name": unit}))
        # What a unit is asked to do, what it answered, its tasks: read in the notice, not only on the case page.
        if (said := _what_was_said(session, case, kind, facts)) is not None:
            lines.append(said)
        # The command group opened on the case, by its name (`指挥组：…`).
        if kind == "group_opened" and isinstance(group := facts.get("group"), str) and group.strip():
            lines.append(Words("notice.case.group", {"text": _shortened(group.strip())}))
        # How long an extension asks for (or was granted): the deciders judge it from the notice.
        if kind in {K.REQUEST_EXTENSION, K.APPROVE_EXTENSION} and isinstance(hours := facts.get("hours"), int):
            lines.append(Words(f"notice.case.{kind}_hours", {"hours": hours}))
        # Why (a return, a failed verification, a refusal, a cancellation) and what the reporter said of a
        # dissatisfied rating: the next party reads it before opening the case.
        for key in ("reason", "comment"):
            said = facts.get(key)
            if isinstance(said, str) and said.strip():
                lines.append(Words(f"notice.case.{key}", {"text": _shortened(said.strip())}))
        if due is not None:
            phase = case.state.phase.value if case.state.phase else None
            lines.append(deadline_line(phase if turn.anchor not in {"collaboration", "meetings"} else None, due))
        # Whoever is told of a citizen's closed case is told to call them back, as the case page says, not to rate.
        titled = "close_callback" if kind == K.CLOSE and caller_to_call_back(case) else kind
        return Words(title_key(titled), self.title_params()), lines

    @property
    def matter_name(self) -> Name:
        """The matter's name in both languages."""
        return Name(self.matter, self.matter_en)

    def place_line(self, address: str | None) -> Words:
        """`地点：<place>`, with the address in brackets when there is one."""
        if address:
            return Words("notice.case.place_address", {"place": self.place, "address": address})
        return Words("notice.case.place", {"place": self.place})


def _what_was_said(session: Session, case: StoredCase, kind: str, facts: dict[str, Any]) -> Words | None:
    """What the next party is to do or was told, as a line of the notice (None when the kind says nothing more).

    `协同事项：…` for a unit asked for help (its own request), `回复：…` for the lead told of an answer,
    `会商任务：…` for a unit given tasks by a meeting (its own), `完成情况：…` for the lead told one is done,
    `处置情况：…` for whoever verifies a reply.
    """
    if kind == "reply" and isinstance(text := facts.get("text"), str) and text.strip():
        return Words("notice.case.reply", {"text": _shortened(text.strip())})
    if kind == "help_requested" and len(units := _units_named(facts)) == 1:
        asked = session.scalar(
            select(CollaborationRequest.request_text).where(
                CollaborationRequest.case_id == case.id, CollaborationRequest.unit_id == units[0]
            )
        )
        return Words("notice.case.asked", {"text": _shortened(asked)}) if asked else None
    if kind == "help_replied" and isinstance(request := facts.get("request_id"), int):
        answer = session.scalar(select(CollaborationRequest.reply_text).where(CollaborationRequest.id == request))
        return Words("notice.case.answer", {"text": _shortened(answer)}) if answer else None
    if kind == "meeting_held" and isinstance(meeting := facts.get("meeting_id"), int):
        owner = CaseTask.owner_unit_id == facts["owner_unit_id"] if "owner_unit_id" in facts else true()
        tasks = session.scalars(
            select(CaseTask.description).where(CaseTask.meeting_id == meeting, owner).order_by(CaseTask.id)
        ).all()
        return Words("notice.case.tasks", {"text": _shortened("；".join(tasks))}) if tasks else None
    if kind == "task_done" and isinstance(task := facts.get("task_id"), int):
        note = session.scalar(select(CaseTask.done_note).where(CaseTask.id == task))
        return Words("notice.case.done_note", {"text": _shortened(note)}) if note else None
    return None


# What the phase's deadline is for, as a notice says it: a dispatched case is to be signed for by then, not handled.
_DUE_PHASES = frozenset({"accept", "sign", "handle", "verify"})


def deadline_line(phase: str | None, due: datetime) -> Words:
    """`签收时限：… 前`, `办理时限：… 前` …: the deadline named by what it is for (handling when no phase says)."""
    return Words(f"notice.case.deadline.{phase if phase in _DUE_PHASES else 'handle'}", {"due": When(due)})


def _shortened(text: str) -> str:
    return text[:DESCRIPTION_IN_NOTICE] + ("…" if len(text) > DESCRIPTION_IN_NOTICE else "")


def _situation(case: StoredCase) -> str | Name:
    """The description as a notice quotes it: in both languages when the system wrote it in both."""
    if case.description_en:
        return Name(_shortened(case.description), _shortened(case.description_en))
    return _shortened(case.description)


def place_name(session: Session, code: str) -> str:
    """The township and village of a place, e.g. 府山街道某社区 (the county for a county code).

    Read once per transaction (`core.shared_reads`): a group-commit batch's cases are mostly in a few places.
    """
    return shared(session, (_NAMES, code), lambda: _read_place_name(session, code))


def _read_place_name(session: Session, code: str) -> str:
    prefixes = _county_down(code)
    slots = dict(zip(_SLOTS, prefixes, strict=False))
    params = {**dict.fromkeys(_SLOTS), **slots}
    names = {row.code: row.name for row in _NAMES.run(session, params).all()}
    shown = [place_word(names[p]) for p in prefixes[1:] if p in names] or [names.get(prefixes[0], code)]
    return "".join(shown[:2])


@lru_cache(maxsize=4096)
def _county_down(code: str) -> tuple[str, ...]:
    """The codes from the place's county down to the place itself (the code alone above a county)."""
    found = tuple(c.value for c in DivisionCode(code).lineage if c.has_level(DivisionLevel.COUNTY))
    return found or (code,)


# The county, township, village and grid: at most four codes, bound in fixed slots (unused ones NULL),
# so the statement compiles once.
_SLOTS = tuple(f"b_code_{n}" for n in range(len(DivisionLevel)))
_NAMES = Prepared(
    select(Division.code, Division.name).where(Division.code.in_([bindparam(slot, type_=String) for slot in _SLOTS]))
)


def _deadline(session: Session, case: StoredCase, turn: Turn, facts: dict[str, Any]) -> datetime | None:
    """The time the next party must act by: the help request's or task's own deadline, else the phase's."""
    if not turn.dated:
        return None
    if turn.anchor == "collaboration" and facts.get("units"):
        asked = CollaborationRequest.unit_id.in_(_units_named(facts)) if turn.to == (Next.ASKED,) else true()
        return session.scalar(
            select(CollaborationRequest.deadline_at)
            .where(
                CollaborationRequest.case_id == case.id,
                CollaborationRequest.status == HelpStatus.REQUESTED.value,
                asked,
            )
            .order_by(CollaborationRequest.deadline_at)
            .limit(1)
        )
    if turn.anchor == "meetings" and facts.get("meeting_id"):
        owner = CaseTask.owner_unit_id == facts["owner_unit_id"] if "owner_unit_id" in facts else true()
        return session.scalar(
            select(CaseTask.deadline_at)
            .where(CaseTask.meeting_id == facts["meeting_id"], owner)
            .order_by(CaseTask.deadline_at)
            .limit(1)
        )
    return case.phase_due_at
