"""What happens to a demo case: triage, handling, help, meetings, verification, rating, archiving.

The delays come from the matter's phase limits (mostly inside them, some overdue); the shares below
say how often each turn is taken. The ratings are this demo's own assumption, not a figure of the
seed: a first rating is 69 % very satisfied, 27 % satisfied, 2.6 % basically satisfied and 1.4 %
dissatisfied (which reopens the case, at most twice). The seed gives no satisfaction figure for the
17 一件事 matters; its 96.8 % is Longyou's three-links app (三联工程) over about two months, for some
11,000 requests from villagers and townships, which is something else and is not used here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from zhili.cases import states
from zhili.cases.states import HelpStatus
from zhili.demo.lives import MINUTE, Agent, Cast, LaterThanNow, Life, Row, Unit
from zhili.demo.rating_reviews import review_rating
from zhili.matters.definition import EvidenceKind, Phase

Scheduled = tuple[datetime, Callable[[datetime], None]]  # side work due at a time: help replies, meetings, tasks
P = states.Party
LEAD, DISPATCHER, COLLABORATOR = frozenset({P.LEAD}), frozenset({P.DISPATCHER}), frozenset({P.COLLABORATOR})
# How often each turn is taken.
REJECTED = 0.03  # 不予受理
RETURNED = 0.015  # the lead sends it back once
HELPED = 0.07  # 一键协同
MET = 0.3  # of those helped, a consultation meeting as well
EXTENDED = 0.06  # 延期申请
APPROVED = 0.8  # of those, granted
SUSPENDED = 0.03  # 挂起
REWORKED = 0.04  # verification fails (at most twice)
UNRATED = 0.03  # the reporter never rates; archived after a while
MAX_REOPENS = 2
FIRST_RATING = (
    (states.Rating.VERY_SATISFIED, 69.0),
    (states.Rating.SATISFIED, 27.0),
    (states.Rating.BASICALLY_SATISFIED, 2.6),
)
DISSATISFIED_SHARE = 1.4
RATINGS = [rating for rating, _ in FIRST_RATING] + [states.Rating.DISSATISFIED]

REJECT_WHY = ("不属于受理范围，已告知当事人其他解决途径", "重复上报，已并入原案件", "信息不全，无法核实地点")
RETURN_WHY = ("不属于本单位职责，请重新研判", "事发地点权属不清，请核实后再派")
EXTEND_WHY = ("需协调多个部门联合处置", "当事人外出，需延后约谈", "整改工程量较大，需延长时限")
SUSPEND_WHY = ("等待鉴定结果", "当事人住院治疗，暂缓处置", "恶劣天气，暂停现场整改")
REWORK_WHY = ("现场核查问题仍然存在", "整改不到位，佐证材料不足")
REPLIES = ("已到现场处置，问题已整改到位", "已责令当事人限期整改，复查合格", "已依法立案查处并完成整改")
UNHAPPY = ("问题没有彻底解决", "处置后又反复出现", "处理太慢")
STAGES = {
    "investigation": "请协助现场调查取证",
    "evidence_check": "请协助核实证照和材料",
    "rectification": "请协助督促整改",
}
DECISIONS = ("明确责任分工，限期整改", "开展联合执法检查", "做好当事人思想工作", "落实长效管理措施")


def live(life: Life) -> None:
    """Drive a reported case as far as "now" allows."""
    try:
        if _triage(life):
            _handle(life, asks_for_help=True)
            _close_and_rate(life)
    except LaterThanNow:
        return


def _triage(life: Life) -> bool:
    """Accept (or reject), dispatch, sign and start; False when the case was rejected."""
    dispatcher, lead = life.cast.dispatcher, life.cast.lead
    if life.chance(REJECTED):
        why = life.rng.choice(REJECT_WHY)
        life.act(states.Reject(parties=DISPATCHER, reason=why), life.within(Phase.ACCEPT), dispatcher)
        life.act(states.Archive(parties=DISPATCHER), life.hours(48, 360), dispatcher)
        return False
    life.act(states.Accept(parties=DISPATCHER), life.within(Phase.ACCEPT), dispatcher)
    life.act(
        states.Dispatch(parties=DISPATCHER, lead_unit_id=life.lead_unit_id), life.within(Phase.ACCEPT, 0.5), dispatcher
    )
    if life.chance(RETURNED):
        life.act(states.Return(parties=LEAD, reason=life.rng.choice(RETURN_WHY)), life.hours(0.5, 6), lead)
        life.act(states.Dispatch(parties=DISPATCHER, lead_unit_id=life.lead_unit_id), life.hours(0.5, 8), dispatcher)
    life.act(states.Sign(parties=LEAD), life.within(Phase.SIGN), lead)
    life.act(states.Start(parties=LEAD), life.within(Phase.HANDLE, 0.15), lead)
    return True


def _handle(life: Life, *, asks_for_help: bool) -> None:
    """Work the case (help, extension, suspension) up to a verified reply, with reworks."""
    lead, dispatcher = life.cast.lead, life.cast.dispatcher
    if asks_for_help and life.cast.helpers and life.chance(HELPED):
        _ask_for_help(life)
    if life.chance(EXTENDED):
        hours = life.rng.choice((24, 48, 72, 120))
        why = life.rng.choice(EXTEND_WHY)
        life.act(states.RequestExtension(parties=LEAD, reason=why, hours=hours), life.within(Phase.HANDLE, 0.5), lead)
        decision: states.Command = (
            states.ApproveExtension(parties=DISPATCHER)
            if life.chance(APPROVED)
            else states.RefuseExtension(parties=DISPATCHER, reason="延期理由不充分，请按期办结")
        )
        life.act(decision, life.hours(1, 12), dispatcher)
    if life.chance(SUSPENDED):
        life.act(states.Suspend(parties=LEAD, reason=life.rng.choice(SUSPEND_WHY)), life.hours(1, 24), lead)
        life.act(states.Resume(parties=LEAD), life.hours(24, 240), lead)
    _reply(life)
    verifier, party = _verifier(life.cast)
    for _ in range(2):
        if not life.chance(REWORKED):
            break
        why = life.rng.choice(REWORK_WHY)
        life.act(states.VerifyFailed(parties=party, reason=why), life.within(Phase.VERIFY), verifier)
        _reply(life)
    life.act(states.Verify(parties=party), life.within(Phase.VERIFY), verifier)


def _reply(life: Life) -> None:
    """Reply with the evidence the matter needs; a photo is uploaded first, as the service requires."""
    at = max(life.within(Phase.HANDLE), life.hours(0.05, 2))
    if at > life.now:
        raise LaterThanNow
    text = life.rng.choice(REPLIES)
    refs: dict[EvidenceKind, str] = {
        EvidenceKind.TEXT: text,
        EvidenceKind.GPS: f"{life.point[0]:.5f},{life.point[1]:.5f}",
        EvidenceKind.DOCUMENT: f"处置记录 第{life.case_id}-{life.seq}号",
    }
    if EvidenceKind.PHOTO in life.definition.evidence_to_close:
        refs[EvidenceKind.PHOTO] = life.photo(max(at - timedelta(minutes=life.rng.uniform(2, 60)), life.at + MINUTE))
    evidence = tuple(states.Evidence(kind=kind, ref=refs[kind]) for kind in life.definition.evidence_to_close)
    life.act(states.Reply(parties=LEAD, evidence=evidence, text=text), at, life.cast.lead)


def _verifier(cast: Cast) -> tuple[Agent, frozenset[states.Party]]:
    """The originating level verifies: the person who filed it, or the command room for a citizen."""
    if cast.reporter.person_id is not None:
        return cast.reporter, frozenset({P.ORIGINATOR})
    return cast.dispatcher, DISPATCHER


def _close_and_rate(life: Life) -> None:
    """Close, rate (dissatisfied reopens: handle again), archive; a few are never rated."""
    c = life.cast
    life.act(states.Close(parties=LEAD), life.hours(0.2, 8), c.lead)
    while True:
        if life.chance(UNRATED):
            life.act(states.Archive(parties=DISPATCHER), life.hours(240, 360), c.dispatcher)
            return
        unhappy = DISSATISFIED_SHARE if life.state.reopen_count < MAX_REOPENS else 0.0
        rating = life.rng.choices(RATINGS, weights=[w for _, w in FIRST_RATING] + [unhappy])[0]
        comment = life.rng.choice(UNHAPPY) if rating is states.Rating.DISSATISFIED else ""
        rate = states.Rate(parties=frozenset({c.reporter_party}), rating=rating, comment=comment)
        life.act(rate, life.hours(1, 48), c.reporter)
        if life.state.status is not states.CaseStatus.REOPENED:
            review_rating(life)  # the centre's call-back on a few (回访复核)
            break
        life.act(states.Start(parties=LEAD), life.hours(1, 12), c.lead)
        _handle(life, asks_for_help=False)
        life.act(states.Close(parties=LEAD), life.hours(0.2, 8), c.lead)
    life.act(states.Archive(parties=DISPATCHER), life.hours(72, 480), c.dispatcher)


def _ask_for_help(life: Life) -> None:
    """一键协同: ask 1 to 3 units; each answers in its own time; a third of them also meet."""
    c, rng = life.cast, life.rng
    asked_at = life.hours(0.5, 12)
    if asked_at > life.now:
        raise LaterThanNow
    chosen = rng.sample(c.helpers, min(len(c.helpers), rng.choice((1, 1, 2, 2, 3))))
    stages = [rng.choice(list(STAGES)) for _ in chosen]
    life.side("help_requested", asked_at, c.lead, LEAD, {"units": [u.id for u, _ in chosen], "stages": stages})
    later: list[Scheduled] = []
    for (unit, member), stage in zip(chosen, stages, strict=True):
        request = _request(life, unit, stage, asked_at)
        answered = life.later(asked_at, rng.choice((24, 48, 72)) * rng.betavariate(1.5, 2.5))
        later.append((answered, partial(_answer, life, request, member)))
    if rng.random() < MET:
        held = life.later(asked_at, rng.uniform(2, 30))
        later.append((held, partial(_meet, life, [u for u, _ in chosen], later=later)))
    while later:
        later.sort(key=lambda item: item[0])
        at, run = later.pop(0)
        if at > life.now:
            raise LaterThanNow
        run(at)


def _request(life: Life, unit: Unit, stage: str, asked_at: datetime) -> Row:
    row: Row = {
        "id": life.ledger.next_id("collaboration_requests"),
        "case_id": life.case_id,
        "unit_id": unit.id,
        "status": HelpStatus.REQUESTED.value,
        "stage": stage,
        "request_text": STAGES[stage],
        "deadline_at": asked_at + timedelta(hours=48),
        "reply_text": None,
        "evidence": [],
        "requested_at": asked_at,
        "replied_at": None,
    }
    life.ledger.requests.append(row)
    return row


def _answer(life: Life, request: Row, member: Agent, at: datetime) -> None:
    text = life.rng.choice(("已派员到场协助，情况已核实", "已完成协助事项，材料见附件"))
    evidence = [{"kind": "text", "ref": text}, {"kind": "document", "ref": f"协查记录 第{request['id']}号"}]
    request.update(status=HelpStatus.REPLIED.value, reply_text=text, replied_at=at, evidence=evidence)
    deadline = request["deadline_at"]
    on_time = isinstance(deadline, datetime) and at <= deadline
    details: Row = {"request_id": request["id"], "unit_id": request["unit_id"], "on_time": on_time}
    life.side("help_replied", at, member, COLLABORATOR, details)


def _meet(life: Life, units: list[Unit], held: datetime, *, later: list[Scheduled]) -> None:
    """会商: the lead, the helping units and the township meet; each decision becomes a task."""
    c, ledger = life.cast, life.ledger
    meeting_id = ledger.next_id("meetings")
    names = {u.id: u.name for u, _ in c.helpers}
    members = {u.id: m for u, m in c.helpers} | {life.lead_unit_id: c.lead}
    township_code, township_name = c.township
    ledger.meetings.append(
        {
            "id": meeting_id,
            "case_id": life.case_id,
            "title": f"{life.definition.name_zh}会商",
            "held_at": held,
            "place": f"{township_name}指挥室",
            "minutes": "牵头单位通报处置情况，各协同单位明确分工，限期整改到位。",
            "convened_by": c.lead.audit_name,
            "created_at": held,
        }
    )
    present: list[tuple[int | None, str | None, str]] = [(u.id, None, names[u.id]) for u in units]
    present.append((None, township_code, township_name))
    for unit_id, division_code, name in present:
        ledger.attendees.append(
            {
                "id": ledger.next_id("meeting_attendees"),
                "meeting_id": meeting_id,
                "unit_id": unit_id,
                "division_code": division_code,
                "name": name,
            }
        )
    decisions = life.rng.randint(1, 2)
    details: Row = {"meeting_id": meeting_id, "attendees": [n for _, _, n in present], "decisions": decisions}
    life.side("meeting_held", held, c.lead, LEAD, details)
    for _ in range(decisions):
        owner = life.rng.choice([life.lead_unit_id, *(u.id for u in units)])
        member = members[owner]
        task = _task(life, meeting_id, owner, held)
        done = life.later(held, life.rng.uniform(4, 96))
        later.append((done, partial(_finish, life, task, member)))


def _task(life: Life, meeting_id: int, owner_id: int, held: datetime) -> Row:
    row: Row = {
        "id": life.ledger.next_id("case_tasks"),
        "case_id": life.case_id,
        "meeting_id": meeting_id,
        "description": life.rng.choice(DECISIONS),
        "owner_unit_id": owner_id,
        "deadline_at": held + timedelta(days=3),
        "status": "open",
        "done_at": None,
        "done_note": None,
    }
    life.ledger.tasks.append(row)
    return row


def _finish(life: Life, task: Row, member: Agent, at: datetime) -> None:
    task.update(status="done", done_at=at, done_note="已按会商要求完成")
    deadline = task["deadline_at"]
    on_time = isinstance(deadline, datetime) and at <= deadline
    life.side("task_done", at, member, frozenset(), {"task_id": task["id"], "on_time": on_time})
