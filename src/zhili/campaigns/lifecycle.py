"""The task lifecycle (领办 → 回单 → 核验 → 评价), who may act, report evidence, "far from grid", points. Pure.

No session and no clock: the service loads the task from its store, asks these functions, and saves what
they answer. `TaskState` is the one spelling of a task's states; the groups the board, the queue and the
sweeps count by (`UNCLAIMED_STATES`, …) are here too, and `TRANSITIONS` is the state graph `RULES` allow.
`DispatchMode` is how a campaign reaches its tasks' recipients.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon

from zhili.campaigns.template import EvidenceKind, Points, RoleTask, TaskTemplate
from zhili.core.auth import Scope
from zhili.core.errors import ConflictError, DomainError
from zhili.org.routing import parent_code

# A report point this far outside the task's division is flagged (never refused): the person may be
# helping next door, or the phone's fix may be wrong; the level above looks at it when verifying.
FAR_METRES: Final = 2_000.0
# Metres per degree of latitude, and of longitude at the equator (WGS-84, good to 0.5 % here).
METRES_PER_DEGREE_LAT: Final = 110_574.0
METRES_PER_DEGREE_LON: Final = 111_320.0
MAX_PHOTOS: Final = 9
# A reason (拒领, 退回), a note (核验, 改派) or a rating's comment on a task.
MAX_REASON: Final = 500


class DispatchMode(StrEnum):
    """How a campaign reaches its recipients."""

    ALL = "all"  # 一键直达: every recipient's task at once
    CASCADE = "cascade"  # 逐级下发: level by level, each level passing it down with its own instructions


class CampaignStatus(StrEnum):
    """A campaign runs until the level that dispatched it closes it; then no forward, claim or reminder."""

    ACTIVE = "active"
    CLOSED = "closed"


class TaskState(StrEnum):
    """Where a task stands: notified → read → claimed (领办) → reported (回单) → verified → rated, or declined.

    A declined task, or one still unclaimed past its claim time, may be handed to someone else by the
    level above (改派): it ends as reassigned, and a new task of the same campaign and role stands in its place.
    The level above may instead overrule a decline (驳回拒领): the task is back with its recipient, read, to claim.
    """

    NOTIFIED = "notified"  # sent, not yet opened
    READ = "read"  # 已读
    CLAIMED = "claimed"  # 已领办: the recipient took it on (again, after a return)
    REPORTED = "reported"  # 已回单: waits for the level above
    VERIFIED = "verified"  # 已核验
    RATED = "rated"  # 已评价
    DECLINED = "declined"  # 拒领, with a reason
    REASSIGNED = "reassigned"  # 已改派: handed to someone else by the level above (a new task carries the work)


TASK_STATES: Final[tuple[TaskState, ...]] = tuple(TaskState)
# The groups the board, the queue and the sweeps count by.
UNCLAIMED_STATES: Final = (TaskState.NOTIFIED, TaskState.READ)
UNREPORTED_STATES: Final = (TaskState.CLAIMED,)
CLAIMED_STATES: Final = (TaskState.CLAIMED, TaskState.REPORTED, TaskState.VERIFIED, TaskState.RATED)
FINISHED_STATES: Final = (TaskState.REPORTED, TaskState.VERIFIED, TaskState.RATED)
# Tasks that earn and lose nothing: declined, or handed to someone else (the new task carries the work).
UNSCORED_STATES: Final = (TaskState.DECLINED, TaskState.REASSIGNED)
# The tasks the board counts as owed (应办): all but those handed over, whose new task is counted instead.
OWED_STATES: Final = tuple(state for state in TaskState if state is not TaskState.REASSIGNED)
# Where 改派 starts: a declined task, or one still unclaimed once its claim time has passed.
REASSIGNABLE_STATES: Final = (TaskState.DECLINED, *UNCLAIMED_STATES)


class TaskAction(StrEnum):
    """What can be done to a task."""

    READ = "read"  # 已读: the recipient opened it
    CLAIM = "claim"  # 领办
    DECLINE = "decline"  # 拒领, with a reason
    REPORT = "report"  # 回单: text, photos, GPS, checklist
    VERIFY = "verify"  # 核验: the level above accepts the report
    RETURN = "return"  # 退回: the level above sends the report back (back to claimed)
    RATE = "rate"  # 评价: the level above rates a verified task
    REASSIGN = "reassign"  # 改派: the level above hands a declined or overdue unclaimed task to someone else
    OVERRULE = "overrule"  # 驳回拒领: the level above does not accept the decline; back to its recipient, with why


class TaskParty(StrEnum):
    """Who an actor is for one task."""

    RECIPIENT = "recipient"  # the person the task was sent to
    ABOVE = "above"  # the level above: the supervising post, or a managing post over the task's division


class TaskRating(StrEnum):
    """How well a verified task was done."""

    GOOD = "good"  # 好
    OK = "ok"  # 一般
    POOR = "poor"  # 差


@dataclass(frozen=True, slots=True)
class Rule:
    """An action: the states it starts from, the state it leads to, and the party who may take it."""

    sources: frozenset[TaskState]
    target: TaskState
    party: TaskParty


RULES: Final[Mapping[TaskAction, Rule]] = {
    TaskAction.READ: Rule(frozenset({TaskState.NOTIFIED}), TaskState.READ, TaskParty.RECIPIENT),
    TaskAction.CLAIM: Rule(frozenset(UNCLAIMED_STATES), TaskState.CLAIMED, TaskParty.RECIPIENT),
    TaskAction.DECLINE: Rule(frozenset(UNCLAIMED_STATES), TaskState.DECLINED, TaskParty.RECIPIENT),
    TaskAction.REPORT: Rule(frozenset({TaskState.CLAIMED}), TaskState.REPORTED, TaskParty.RECIPIENT),
    TaskAction.VERIFY: Rule(frozenset({TaskState.REPORTED}), TaskState.VERIFIED, TaskParty.ABOVE),
    TaskAction.RETURN: Rule(frozenset({TaskState.REPORTED}), TaskState.CLAIMED, TaskParty.ABOVE),
    TaskAction.RATE: Rule(frozenset({TaskState.VERIFIED}), TaskState.RATED, TaskParty.ABOVE),
    TaskAction.REASSIGN: Rule(frozenset(REASSIGNABLE_STATES), TaskState.REASSIGNED, TaskParty.ABOVE),
    TaskAction.OVERRULE: Rule(frozenset({TaskState.DECLINED}), TaskState.READ, TaskParty.ABOVE),
}
# The allowed transitions, from each state to the states an action may lead to (none from rated or reassigned).
TRANSITIONS: Final[Mapping[TaskState, frozenset[TaskState]]] = {
    state: frozenset(rule.target for rule in RULES.values() if state in rule.sources) for state in TaskState
}


PAST: Final[Mapping[TaskAction, str]] = {
    TaskAction.READ: "read",
    TaskAction.CLAIM: "claimed",
    TaskAction.DECLINE: "declined",
    TaskAction.REPORT: "reported",
    TaskAction.VERIFY: "verified",
    TaskAction.RETURN: "returned",
    TaskAction.RATE: "rated",
    TaskAction.REASSIGN: "reassigned",
    TaskAction.OVERRULE: "overruled",
}


class TaskRefused(DomainError):  # noqa: N818 - the lifecycle's vocabulary: an action is refused
    """An action the lifecycle refuses: 403 when the actor is not its party, 409 in the wrong state.

    The problem carries `action`, `state` and `allowed` (what the same actor could do instead).
    """

    def __init__(
        self, reason: str, *, status: int, action: TaskAction, state: TaskState, allowed: tuple[TaskAction, ...]
    ) -> None:
        super().__init__(reason, action=str(action), state=str(state), allowed=[str(a) for a in allowed])
        self.status = status
        self.title, self.type_slug = ("Forbidden", "forbidden") if status == 403 else ("Conflict", "conflict")  # noqa: PLR2004
        self.action = action
        self.allowed = allowed


class TaskMovedOn(TaskRefused, ConflictError):  # noqa: N818 - the lifecycle's vocabulary, as TaskRefused
    """The 409 of `TaskRefused`: the task is not in a state the action starts from (a conflict, as pages treat it)."""

    def __init__(self, reason: str, *, action: TaskAction, state: TaskState, allowed: tuple[TaskAction, ...]) -> None:
        super().__init__(reason, status=409, action=action, state=state, allowed=allowed)


@dataclass(frozen=True, slots=True)
class Reach:
    """Where an actor stands towards tasks: their person, the posts they hold, their managing blocks."""

    person_id: int | None
    position_ids: frozenset[int]
    managing: Scope
    # The divisions of the managing posts before `managing` merges them (a command room over a village whose
    # committee the same person sits on holds both); None: those of `managing`.
    managing_divisions: frozenset[str] | None = None


def parties_of(
    reach: Reach, *, person_id: int, supervisor_position_id: int | None, division_code: str
) -> frozenset[TaskParty]:
    """The parties an actor is for a task: its recipient, or the level above, never both.

    The level above is the task's supervising post, or a managing post over the division above the
    task's (a village committee for a grid's task, the township command room for a village's).
    """
    if reach.person_id is not None and reach.person_id == person_id:
        return frozenset({TaskParty.RECIPIENT})
    supervises = supervisor_position_id is not None and supervisor_position_id in reach.position_ids
    if supervises or reach.managing.reaches_place(parent_code(division_code)):
        return frozenset({TaskParty.ABOVE})
    return frozenset()


def is_claim_overdue(claim_due_at: datetime, now: datetime) -> bool:
    """True once a task's claim time has passed (an unclaimed task may then be reassigned)."""
    return now > claim_due_at


def allowed_actions(
    state: TaskState, parties: frozenset[TaskParty], *, claim_overdue: bool = False
) -> tuple[TaskAction, ...]:
    """The actions these parties may take on a task in this state, in lifecycle order.

    改派 of a task still unclaimed waits for its claim time (`claim_overdue`); a declined one may be reassigned at once.
    """
    return tuple(
        action
        for action, rule in RULES.items()
        if state in rule.sources and rule.party in parties and _in_time(action, state, claim_overdue=claim_overdue)
    )


def _in_time(action: TaskAction, state: TaskState, *, claim_overdue: bool) -> bool:
    return action != TaskAction.REASSIGN or state == TaskState.DECLINED or claim_overdue


def step(
    state: TaskState, action: TaskAction, parties: frozenset[TaskParty], *, claim_overdue: bool = False
) -> TaskState:
    """The state an action leads to; `TaskRefused` (403 or 409, with the allowed actions) otherwise.

    `claim_overdue` says whether the task's claim time has passed (`is_claim_overdue`): only 改派 asks.
    """
    rule = RULES[action]
    allowed = allowed_actions(state, parties, claim_overdue=claim_overdue)
    if rule.party not in parties:
        who = "the person it was sent to" if rule.party is TaskParty.RECIPIENT else "the level above"
        raise TaskRefused(f"only {who} may {action} this task", status=403, action=action, state=state, allowed=allowed)
    if state not in rule.sources:
        raise TaskMovedOn(
            f"a task that is {state} cannot be {PAST[action]}; it can be {', '.join(allowed) or 'left as it is'}",
            action=action,
            state=state,
            allowed=allowed,
        )
    if not _in_time(action, state, claim_overdue=claim_overdue):
        raise TaskMovedOn(
            f"a task that is {state} can be reassigned once its claim time has passed, or once it is declined",
            action=action,
            state=state,
            allowed=allowed,
        )
    return rule.target


@dataclass(frozen=True, slots=True)
class ReportEvidence:
    """What a report carries."""

    text: str | None = None
    photo_count: int = 0
    point: tuple[float, float] | None = None
    checklist: Mapping[str, bool] | None = None


def missing_evidence(task: RoleTask, evidence: ReportEvidence) -> list[dict[str, str]]:
    """One `{field, message}` per missing or wrong piece of evidence the role's task asks for (empty: fine)."""
    problems: list[dict[str, str]] = []
    wanted = set(task.evidence)
    if EvidenceKind.TEXT in wanted and not (evidence.text or "").strip():
        problems.append({"field": "body.text", "message": "a written report is required"})
    if EvidenceKind.PHOTO in wanted and evidence.photo_count < 1:
        problems.append(
            {
                "field": "body.photo_ids",
                "message": "at least one photo is required; upload it first",
                "key": "tasks.photo_required",
            }
        )
    if EvidenceKind.GPS in wanted and evidence.point is None:
        gps = {"field": "body.point", "message": "the location (GPS) is required", "key": "tasks.gps_required"}
        problems.append(gps)
    problems += _checklist_problems(task.checklist, evidence.checklist)
    return problems


def _checklist_problems(items: tuple[str, ...], answers: Mapping[str, bool] | None) -> list[dict[str, str]]:
    given = dict(answers or {})
    unknown = sorted(set(given) - set(items))
    problems = [{"field": "body.checklist", "message": f"not an item of this task: {item}"} for item in unknown]
    problems += [
        {"field": f"body.checklist.{item}", "message": "answer this checklist item"}
        for item in items
        if item not in given
    ]
    return problems


def metres_outside(area: Polygon | MultiPolygon, lon: float, lat: float) -> float:
    """How far (metres) a point lies outside an area; 0 inside. Local flat projection around the point."""
    if area.intersects(Point(lon, lat)):
        return 0.0
    x_scale = METRES_PER_DEGREE_LON * math.cos(math.radians(lat))

    def project(coords: Any) -> Any:
        return (coords - (lon, lat)) * (x_scale, METRES_PER_DEGREE_LAT)

    return float(shapely.transform(area, project).distance(Point(0.0, 0.0)))


def is_far(area: Polygon | MultiPolygon | None, lon: float, lat: float, *, limit_m: float = FAR_METRES) -> bool:
    """True when the point lies more than `limit_m` outside the area; an unknown area is never far."""
    return area is not None and metres_outside(area, lon, lat) > limit_m


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskRecord:
    """The fields of a task that points are computed from."""

    state: TaskState
    claimed_at: datetime | None
    reported_at: datetime | None
    report_due_at: datetime
    verified_at: datetime | None
    returned_count: int


def points(rules: Points, task: TaskRecord, *, now: datetime) -> int:
    """Points earned so far, from the template's `Points`.

    Claimed, reported on time and verified earn; a late report (or none by the report time) and each
    return deduct. A declined or reassigned task earns nothing and loses nothing (the new task carries the work).
    """
    if task.state in UNSCORED_STATES:
        return 0
    total = rules.claimed if task.claimed_at is not None else 0
    if task.reported_at is not None:
        total += rules.reported_on_time if task.reported_at <= task.report_due_at else rules.late
    elif now > task.report_due_at:
        total += rules.late
    if task.verified_at is not None:
        total += rules.verified
    return total + rules.returned * task.returned_count


def role_task(template: TaskTemplate, role: str) -> RoleTask:
    """The task of one role in a campaign's copy of its template."""
    return template.task_for(role)
