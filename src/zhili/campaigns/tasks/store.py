"""The campaign tasks' store: the one owner of the task row ↔ `Task` mapping and of its compare-and-set write.

A task use case reads as load → `lifecycle.step` (through `advance`) → `save` → audit → notify. `load`
reads the task the actor may see (`visibility.visible_tasks`, else 404) with the few campaign facts
the use cases need, as plain values with Core: no ORM object is loaded or patched. `save` writes
the columns a transition changes with `UPDATE … WHERE id = ? AND state = <the state loaded>`: of two
concurrent changes one wins, the other is a 409 with nothing written. The report's checklist is a
typed JSON column (`core.typed_json.JsonText`), never parsed by hand. `insert_handover` writes the task
that stands in for one handed to someone else (改派); `mark` stamps tasks reminded, or whose supervisor
was told, set-based.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Literal, TypedDict, Unpack, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from zhili.campaigns import lifecycle
from zhili.campaigns.lifecycle import CampaignStatus, TaskAction, TaskParty, TaskRating, TaskState
from zhili.campaigns.models import Campaign, CampaignTask, TaskPhoto
from zhili.campaigns.notices import english_title
from zhili.campaigns.template import TaskTemplate
from zhili.campaigns.visibility import load_reach, visible_tasks
from zhili.core.auth import Actor
from zhili.core.errors import ConflictError, NotFoundError
from zhili.core.media import CheckedPhoto
from zhili.core.typed_json import JsonText


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    """A task as its use cases see it: who it is for, where it stands, and what its report holds."""

    id: int
    campaign_id: int
    person_id: int
    position_id: int
    supervisor_position_id: int | None
    role: str
    division_code: str
    state: TaskState
    claim_due_at: datetime
    read_at: datetime | None
    claimed_at: datetime | None
    reported_at: datetime | None
    verified_at: datetime | None
    rated_at: datetime | None
    declined_at: datetime | None
    reason: str | None
    verify_note: str | None
    report_text: str | None
    report_lon: float | None
    report_lat: float | None
    report_checklist: Mapping[str, bool] | None
    is_far: bool
    returned_count: int
    rating: TaskRating | None
    case_id: int | None
    reassigned_at: datetime | None
    reassigned_to_id: int | None
    reassigned_from_id: int | None


class Changes(TypedDict, total=False):
    """The columns an action may write besides the state."""

    read_at: datetime | None
    claimed_at: datetime | None
    reported_at: datetime | None
    verified_at: datetime | None
    rated_at: datetime | None
    declined_at: datetime | None
    reason: str | None
    verify_note: str | None
    report_text: str | None
    report_lon: float | None
    report_lat: float | None
    report_checklist: Mapping[str, bool] | None
    is_far: bool
    returned_count: int
    rating: TaskRating | None
    case_id: int | None
    reassigned_at: datetime | None
    reassigned_to_id: int | None


@dataclass(frozen=True, slots=True)
class TaskCampaign:
    """What a task's use cases read of its campaign."""

    id: int
    number: str
    title: str
    status: str
    template: TaskTemplate
    message: str
    severity: str

    @property
    def is_running(self) -> bool:
        """Claims, declines and reports stop when the campaign is closed."""
        return self.status == CampaignStatus.ACTIVE

    @property
    def title_en(self) -> str:
        """The title on an English page (`notices.english_title`)."""
        return english_title(self.title, self.template)


@dataclass(frozen=True, slots=True)
class Loaded:
    """A task the actor may see, its campaign, and who the actor is for it."""

    task: Task
    campaign: TaskCampaign
    parties: frozenset[TaskParty]


@dataclass(frozen=True, slots=True)
class Transition:
    """An action taken: the task before and after, and the columns it writes (the state first)."""

    action: TaskAction
    before: Task
    after: Task
    written: tuple[str, ...]


_TASKS = cast("Table", CampaignTask.__table__)
_CHECKLIST = cast("JsonText", _TASKS.c.report_checklist.type)
_TASK_FIELDS = tuple(field.name for field in fields(Task))
_CAMPAIGN_COLUMNS = (
    Campaign.number,
    Campaign.title,
    Campaign.status,
    Campaign.template,
    Campaign.message,
    Campaign.severity,
)
_LOAD = (
    select(*(_TASKS.c[name] for name in _TASK_FIELDS), *_CAMPAIGN_COLUMNS)
    .join(Campaign, Campaign.id == CampaignTask.campaign_id)
    .where(CampaignTask.id == bindparam("b_id"))
)
# The SET clause comes from the parameters given; the WHERE holds the state the action was checked against.
_MOVE = update(_TASKS).where(_TASKS.c.id == bindparam("b_id"), _TASKS.c.state == bindparam("b_state"))
_CITED_PHOTOS = select(TaskPhoto.id).where(
    TaskPhoto.task_id == bindparam("b_task"), TaskPhoto.id.in_(bindparam("b_ids", expanding=True))
)


def _task_of(row: Sequence[Any]) -> Task:
    found = dict(zip(_TASK_FIELDS, row, strict=False))
    rating = found["rating"]
    return Task(**{**found, "state": TaskState(found["state"]), "rating": TaskRating(rating) if rating else None})


def load(session: Session, actor: Actor, task_id: int) -> Loaded:
    """The task the actor may see, its campaign and the actor's parties for it; else 404."""
    reach = load_reach(session, actor)
    row = session.execute(_LOAD.where(visible_tasks(reach)), {"b_id": task_id}).first()
    if row is None:
        raise NotFoundError(f"task {task_id} not found")
    task = _task_of(row)
    campaign = TaskCampaign(task.campaign_id, *row[len(_TASK_FIELDS) :])
    parties = lifecycle.parties_of(
        reach,
        person_id=task.person_id,
        supervisor_position_id=task.supervisor_position_id,
        division_code=task.division_code,
    )
    return Loaded(task, campaign, parties)


def advance(
    task: Task,
    action: TaskAction,
    parties: frozenset[TaskParty],
    *,
    now: datetime | None = None,
    **changes: Unpack[Changes],
) -> Transition:
    """The transition an action makes (`lifecycle.step`: 403 or 409 when refused), with the columns it writes.

    `now` tells the lifecycle whether the claim time has passed (改派 of an unclaimed task waits for it).
    """
    overdue = now is not None and lifecycle.is_claim_overdue(task.claim_due_at, now)
    target = lifecycle.step(task.state, action, parties, claim_overdue=overdue)
    return Transition(action, task, replace(task, state=target, **changes), ("state", *changes))


MARK_BATCH = 5_000  # ids per UPDATE: within SQLite's bound on parameters
_MARK = {
    column: update(_TASKS).where(_TASKS.c.id.in_(bindparam("ids", expanding=True))).values({column: bindparam("now")})
    for column in ("reminded_at", "supervisor_told_at")
}


_MOVE_MANY = (  # a state forward, keeping any instant already set: `move_many`
    update(_TASKS)
    .where(_TASKS.c.id == bindparam("b_id"), _TASKS.c.state == bindparam("b_from"))
    .values(
        state=bindparam("b_to"),
        read_at=func.coalesce(_TASKS.c.read_at, bindparam("b_read_at", type_=_TASKS.c.read_at.type)),
        claimed_at=func.coalesce(_TASKS.c.claimed_at, bindparam("b_claimed_at", type_=_TASKS.c.claimed_at.type)),
        reported_at=func.coalesce(_TASKS.c.reported_at, bindparam("b_reported_at", type_=_TASKS.c.reported_at.type)),
        report_text=func.coalesce(_TASKS.c.report_text, bindparam("b_report_text", type_=_TASKS.c.report_text.type)),
        report_lon=func.coalesce(_TASKS.c.report_lon, bindparam("b_report_lon", type_=_TASKS.c.report_lon.type)),
        report_lat=func.coalesce(_TASKS.c.report_lat, bindparam("b_report_lat", type_=_TASKS.c.report_lat.type)),
        report_checklist=func.coalesce(
            _TASKS.c.report_checklist, bindparam("b_report_checklist", type_=_TASKS.c.report_checklist.type)
        ),
    )
)


def move_many(session: Session, moves: Sequence[Mapping[str, object]]) -> None:
    """Move many tasks forward at once where each is still in the state expected (a simulation, an import).

    Each move binds `b_id`, `b_from`, `b_to` and the instants `b_read_at`, `b_claimed_at`,
    `b_reported_at` with the report's `b_report_text`, `b_report_lon`, `b_report_lat` and `b_report_checklist`
    (None where it has none): an instant or a report already set is kept. One `executemany`; no step is checked
    by the lifecycle, nobody is told, nothing is audited: the caller records the run as a whole.
    """
    if moves:
        session.connection().execute(_MOVE_MANY, list(moves))


Marked = Literal["reminded_at", "supervisor_told_at"]


def mark(session: Session, column: Marked, ids: Sequence[int], now: datetime) -> None:
    """Stamp when these tasks were reminded, or their supervisor told (a sweep, a reminder by hand)."""
    for start in range(0, len(ids), MARK_BATCH):
        session.connection().execute(_MARK[column], {"ids": list(ids[start : start + MARK_BATCH]), "now": now})


def insert_handover(session: Session, values: Mapping[str, object]) -> int:
    """The task that stands in for one handed to someone else (改派); its id. 409 when a twin got there first."""
    try:
        return int(session.execute(insert(CampaignTask).values(dict(values)).returning(CampaignTask.id)).scalar_one())
    except IntegrityError as exc:  # the same person or task handed over at the same moment by someone else
        session.rollback()
        raise ConflictError("another change reached this task first; reload it") from exc


def save(session: Session, transition: Transition) -> None:
    """Write the transition where the row is still in the state loaded; else roll back and 409. The caller commits."""
    values = {name: getattr(transition.after, name) for name in transition.written}
    params = {**values, "b_id": transition.before.id, "b_state": transition.before.state}
    if session.connection().execute(_MOVE, params).rowcount != 1:
        session.rollback()
        raise ConflictError("another change reached this task first; reload it")
    # A copy of the row the session's ORM holds (a page that read the task first) is stale now: it is
    # expired, never patched, so whoever reads it next reads the row.
    held = session.identity_map.get(identity_key(CampaignTask, (transition.before.id,)))
    if held is not None:
        session.expire(held)


def written(transition: Transition) -> dict[str, object]:
    """The written columns as stored, for the audit record (times in ISO 8601, the checklist as its JSON)."""
    found: dict[str, object] = {}
    for name in transition.written:
        value = getattr(transition.after, name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, Mapping):
            value = _CHECKLIST.process_bind_param(value, None)
        found[name] = str(value) if isinstance(value, TaskState | TaskRating) else value
    return found


def cited_photos(session: Session, task_id: int, photo_ids: list[int]) -> set[int]:
    """Those of the photo ids that are photos of this task."""
    return set(session.scalars(_CITED_PHOTOS, {"b_task": task_id, "b_ids": photo_ids})) if photo_ids else set()


_PHOTO_BYTES = (
    select(TaskPhoto.data, TaskPhoto.content_type)
    .where(TaskPhoto.task_id == bindparam("b_task"), TaskPhoto.id.in_(bindparam("b_ids", expanding=True)))
    .order_by(TaskPhoto.id)
)


def stored_photos(session: Session, task_id: int, photo_ids: list[int]) -> list[CheckedPhoto]:
    """Those of the photo ids that are this task's, in the order they were taken: checked when stored, not again."""
    if not photo_ids:
        return []
    rows = session.execute(_PHOTO_BYTES, {"b_task": task_id, "b_ids": photo_ids})
    return [CheckedPhoto(bytes(data), content_type) for data, content_type in rows]
