"""Task use cases: read, claim (领办), decline, report (回单), verify (核验), return (退回), rate. One commit each.

Every action loads the task the actor may see (else 404), asks `tasks.step` (403 / 409), and moves the
row with `UPDATE … WHERE id = ? AND state = <the state read>`: of two concurrent claims one wins and the
other is a 409 with nothing written. The audit record lands in the same transaction.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from zhili.campaigns import lifecycle as tasks
from zhili.campaigns.lifecycle import TaskAction, TaskParty
from zhili.campaigns.models import Campaign, CampaignTask, TaskPhoto, state_of
from zhili.campaigns.tasks.schemas import CaseRaise, RateBody, ReportBody
from zhili.campaigns.visibility import load_task
from zhili.cases.schemas import CaseCreate, Point
from zhili.cases.service import report_case
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import DEFER_COMMIT, commit, deferred_commit
from zhili.core.errors import ConflictError, InvalidInputError
from zhili.notify.service import notify
from zhili.org.geo import LocatorCache
from zhili.org.geometry import areal_from_geojson
from zhili.org.models import Division, Position
from zhili.web.i18n import translate

_TASKS = cast("Table", CampaignTask.__table__)
# The SET clause comes from the parameters given; the WHERE holds the state the action was checked against.
_MOVE = update(_TASKS).where(_TASKS.c.id == bindparam("b_id"), _TASKS.c.state == bindparam("b_state"))
_CITED_PHOTOS = select(TaskPhoto.id).where(
    TaskPhoto.task_id == bindparam("b_task"), TaskPhoto.id.in_(bindparam("b_ids", expanding=True))
)
_GEOMETRY = select(Division.geometry).where(Division.code == bindparam("b_code"))


def move(
    session: Session,
    task: CampaignTask,
    *,
    action: TaskAction,
    parties: frozenset[TaskParty],
    values: dict[str, object],
    actor: Actor,
    now: datetime,
) -> None:
    """Step the task and store the result where the row is still in the state read (else 409); audit it.

    The caller commits.
    """
    target = tasks.step(state_of(task), action, parties)
    changes = {**values, "state": target}
    if session.connection().execute(_MOVE, {**changes, "b_id": task.id, "b_state": task.state}).rowcount != 1:
        session.rollback()
        raise ConflictError("another change reached this task first; reload it")
    before = task.state
    for key, value in changes.items():
        set_committed_value(task, key, value)
    after = {key: value.isoformat() if isinstance(value, datetime) else value for key, value in changes.items()}
    audit.record_by(
        session,
        actor,
        f"campaign.task.{action.value}",
        entity_type="campaign_task",
        entity_id=task.id,
        before={"state": before},
        after=after,
        at=now,
    )


def require_running(campaign: Campaign) -> None:
    """Claims, declines and reports stop when the campaign is closed (verifying what came in does not)."""
    if campaign.status != "active":
        raise ConflictError(f"campaign {campaign.number} is closed")


def read_task(session: Session, *, task_id: int, actor: Actor, clock: Clock) -> CampaignTask:
    """The recipient opened the task (已读); opening it again changes nothing."""
    task, _campaign, parties = load_task(session, actor, task_id)
    if TaskParty.RECIPIENT in parties and task.state != "notified":
        return task
    now = clock.now()
    move(session, task, action=TaskAction.READ, parties=parties, values={"read_at": now}, actor=actor, now=now)
    commit(session)
    return task


def claim_task(session: Session, *, task_id: int, actor: Actor, clock: Clock) -> CampaignTask:
    """领办: the recipient takes the task on (read at the same tap if it was not opened before)."""
    task, campaign, parties = load_task(session, actor, task_id)
    require_running(campaign)
    now = clock.now()
    values: dict[str, object] = {"claimed_at": now, "read_at": task.read_at or now}
    move(session, task, action=TaskAction.CLAIM, parties=parties, values=values, actor=actor, now=now)
    commit(session)
    return task


def decline_task(session: Session, *, task_id: int, reason: str, actor: Actor, clock: Clock) -> CampaignTask:
    """The recipient declines the task, saying why (the level above sees the reason)."""
    task, campaign, parties = load_task(session, actor, task_id)
    require_running(campaign)
    now = clock.now()
    values: dict[str, object] = {"declined_at": now, "reason": reason, "read_at": task.read_at or now}
    move(session, task, action=TaskAction.DECLINE, parties=parties, values=values, actor=actor, now=now)
    commit(session)
    return task


def report_task(
    session: Session, *, task_id: int, data: ReportBody, actor: Actor, clock: Clock, locators: LocatorCache
) -> CampaignTask:
    """回单: text, photos, GPS and checklist as the role's task asks; a point far outside the grid is flagged.

    With `raise_case`, a case is reported at the report's point in the same transaction and linked.
    """
    task, campaign, parties = load_task(session, actor, task_id)
    require_running(campaign)
    tasks.step(state_of(task), TaskAction.REPORT, parties)  # 403 / 409 before 422
    _check_evidence(session, task, campaign, data)
    point = (data.point.lon, data.point.lat) if data.point else None
    now = clock.now()
    case_id = task.case_id
    if data.raise_case is not None:
        case_id = _raise_case(
            session,
            campaign=campaign,
            raised=data.raise_case,
            point=data.point,
            actor=actor,
            clock=clock,
            locators=locators,
        )
    values: dict[str, object] = {
        "reported_at": now,
        "report_text": (data.text or "").strip() or None,
        "report_lon": point[0] if point else None,
        "report_lat": point[1] if point else None,
        "report_checklist": json.dumps(data.checklist, ensure_ascii=False) if data.checklist is not None else None,
        "is_far": point is not None and _is_far(session, task.division_code, *point),
        "case_id": case_id,
    }
    move(session, task, action=TaskAction.REPORT, parties=parties, values=values, actor=actor, now=now)
    _tell_verifier(session, task, campaign, clock=clock)
    commit(session)
    return task


def _tell_verifier(session: Session, task: CampaignTask, campaign: Campaign, *, clock: Clock) -> None:
    """The post supervising the recipient's learns a report waits for them (待核验), in this transaction."""
    if task.supervisor_position_id is None:
        return
    title = tasks.role_task(campaign.template, task.role).title_zh
    far = "（位置远离所在网格）" if task.is_far else ""
    notify(
        session,
        recipients=select(Position.person_id).where(Position.id == task.supervisor_position_id),
        topic="campaign.task.reported",
        severity="info",
        title=f"待核验：{campaign.title}：{title}",
        body=f"{(task.report_text or '').strip()[:500]}{far}",
        key=f"campaign-task:{task.id}:reported:{task.returned_count}",
        clock=clock,
        link=f"/tasks/{task.id}",
        subject=f"campaign:{campaign.id}",
    )


def _check_evidence(session: Session, task: CampaignTask, campaign: Campaign, data: ReportBody) -> None:
    """422 naming each missing piece of evidence, and photos that are not this task's."""
    ids = sorted(set(data.photo_ids))
    found = set(session.scalars(_CITED_PHOTOS, {"b_task": task.id, "b_ids": ids})) if ids else set()
    problems = [
        {"field": "body.photo_ids", "message": f"photo {photo_id} is not a photo of this task"}
        for photo_id in ids
        if photo_id not in found
    ]
    evidence = tasks.ReportEvidence(
        text=data.text,
        photo_count=len(found),
        point=(data.point.lon, data.point.lat) if data.point else None,
        checklist=data.checklist,
    )
    problems += tasks.missing_evidence(tasks.role_task(campaign.template, task.role), evidence)
    if data.raise_case is not None and data.point is None:
        problems.append({"field": "body.point", "message": "a case is raised at the report's point: send it"})
    if problems:
        fields = ", ".join(dict.fromkeys(p["field"] for p in problems))
        raise InvalidInputError(f"the report is incomplete: {fields}", errors=problems)


def _is_far(session: Session, division_code: str, lon: float, lat: float) -> bool:
    geometry = session.scalar(_GEOMETRY, {"b_code": division_code})
    return geometry is not None and tasks.is_far(areal_from_geojson(geometry), lon, lat)


def _raise_case(
    session: Session,
    *,
    campaign: Campaign,
    raised: CaseRaise,
    point: Point | None,
    actor: Actor,
    clock: Clock,
    locators: LocatorCache,
) -> int:
    """Report a case (channel `campaign`) at the report's point; it is committed with the report."""
    data = CaseCreate(
        matter=raised.matter,
        point=point,
        address=raised.address,
        description=f"{raised.description}（三联工程 {campaign.number}「{campaign.title}」回单上报）",
        attributes=raised.attributes,
        channel="campaign",
    )
    outer_defers = bool(session.info.get(DEFER_COMMIT))
    with nullcontext() if outer_defers else deferred_commit(session):
        case = report_case(session, data=data, actor=actor, clock=clock, locators=locators)
    return case.id


def verify_task(session: Session, *, task_id: int, note: str | None, actor: Actor, clock: Clock) -> CampaignTask:
    """核验: the level above accepts the report; the recipient is told."""
    task, campaign, parties = load_task(session, actor, task_id)
    now = clock.now()
    values: dict[str, object] = {"verified_at": now}
    move(session, task, action=TaskAction.VERIFY, parties=parties, values=values, actor=actor, now=now)
    _tell(session, task, campaign, kind="verified", text=f"回单已核验通过。{note or ''}", clock=clock)
    commit(session)
    return task


def return_task(session: Session, *, task_id: int, reason: str, actor: Actor, clock: Clock) -> CampaignTask:
    """退回: the level above sends the report back (claimed again, one more return counted); the recipient is told."""
    task, campaign, parties = load_task(session, actor, task_id)
    now = clock.now()
    values: dict[str, object] = {"reason": reason, "returned_count": task.returned_count + 1, "reported_at": None}
    move(session, task, action=TaskAction.RETURN, parties=parties, values=values, actor=actor, now=now)
    _tell(session, task, campaign, kind=f"returned:{task.returned_count}", text=f"回单被退回：{reason}", clock=clock)
    commit(session)
    return task


def rate_task(session: Session, *, task_id: int, data: RateBody, actor: Actor, clock: Clock) -> CampaignTask:
    """The level above rates a verified task (good / ok / poor)."""
    task, campaign, parties = load_task(session, actor, task_id)
    now = clock.now()
    values: dict[str, object] = {"rating": data.rating.value, "rated_at": now}
    move(session, task, action=TaskAction.RATE, parties=parties, values=values, actor=actor, now=now)
    if data.comment:
        audit.record_by(
            session,
            actor,
            "campaign.task.rating_comment",
            entity_type="campaign_task",
            entity_id=task.id,
            after={"comment": data.comment},
            at=now,
        )
    _tell(
        session,
        task,
        campaign,
        kind="rated",
        text=f"任务评价：{translate(f'task_rating.{data.rating.value}', 'zh')}",
        clock=clock,
    )
    commit(session)
    return task


def _tell(session: Session, task: CampaignTask, campaign: Campaign, *, kind: str, text: str, clock: Clock) -> None:
    """A notification to the recipient, in this transaction (the key names the task and the event)."""
    title = tasks.role_task(campaign.template, task.role).title_zh
    notify(
        session,
        recipients=[task.person_id],
        topic="campaign.task.result",
        severity="info",
        title=f"{campaign.title}：{title}",
        body=text.strip(),
        key=f"campaign-task:{task.id}:{kind}",
        clock=clock,
        link=f"/tasks/{task.id}",
        subject=f"campaign:{campaign.id}",
    )
