"""Task use cases: read, claim (领办), decline, report (回单), verify (核验), return (退回), rate. One commit each.

改派 (reassign), which also writes a new task, is `tasks.reassign`.

Each reads as load → step → save → audit → notify: `store.load` gives the task the actor may see (else
404), `store.advance` asks `lifecycle.step` (403 / 409), `store.save` moves the row where it is still in
the state loaded (of two concurrent claims one wins, the other is a 409 with nothing written), and the
audit record and the notification land in the same transaction. Each returns the task as it now is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Unpack

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from zhili.campaigns import lifecycle, visibility
from zhili.campaigns.lifecycle import TaskAction, TaskParty, TaskState
from zhili.campaigns.notices import task_words
from zhili.campaigns.tasks import store
from zhili.campaigns.tasks.schemas import CaseRaise, RateBody, ReportBody
from zhili.campaigns.tasks.store import Changes, Loaded, Task, TaskCampaign
from zhili.cases.attributes import validate_attributes
from zhili.cases.photos import attach_to_report
from zhili.cases.schemas import CaseCreate, Point
from zhili.cases.service import report_case
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit, deferred_commit
from zhili.core.errors import ConflictError, InvalidInputError, NotFoundError
from zhili.core.media import CheckedPhoto
from zhili.matters import queries as matters
from zhili.notify import inbox
from zhili.notify.kinds import Settled
from zhili.notify.service import notify
from zhili.notify.wording import Name, Part, Words
from zhili.org.geo import LocatorCache
from zhili.org.geometry import areal_from_geojson
from zhili.org.models import Division, Person

_GEOMETRY = select(Division.geometry).where(Division.code == bindparam("b_code"))


def move(
    session: Session,
    loaded: Loaded,
    action: TaskAction,
    *,
    actor: Actor,
    now: datetime,
    said: dict[str, str] | None = None,
    **changes: Unpack[Changes],
) -> Task:
    """Step the task, save it where the row is still in the state loaded (else 409) and audit it; the caller commits.

    `said` is kept with the record beside the columns written: what the step said that no column holds (a
    改派's note, which the new task keeps too), for the task's 办理经过.
    """
    transition = store.advance(loaded.task, action, loaded.parties, now=now, **changes)
    store.save(session, transition)
    audit.record_by(
        session,
        actor,
        f"campaign.task.{action.value}",
        entity_type="campaign_task",
        entity_id=loaded.task.id,
        before={"state": str(loaded.task.state)},
        after={**store.written(transition), **(said or {})},
        at=now,
    )
    return transition.after


def require_running(campaign: TaskCampaign) -> None:
    """Claims, declines and reports stop when the campaign is closed (verifying what came in does not)."""
    if not campaign.is_running:
        raise ConflictError(f"campaign {campaign.number} is closed", message_key="tasks.campaign_closed")


def read_task(session: Session, *, task_id: int, actor: Actor, clock: Clock) -> Task:
    """The recipient opened the task (已读); opening it again changes nothing."""
    loaded = store.load(session, actor, task_id)
    if TaskParty.RECIPIENT in loaded.parties and loaded.task.state != TaskState.NOTIFIED:
        return loaded.task
    now = clock.now()
    task = move(session, loaded, TaskAction.READ, actor=actor, now=now, read_at=now)
    commit(session)
    return task


def claim_task(session: Session, *, task_id: int, actor: Actor, clock: Clock) -> Task:
    """领办: the recipient takes the task on (read at the same tap if it was not opened before)."""
    loaded = store.load(session, actor, task_id)
    require_running(loaded.campaign)
    now = clock.now()
    read_at = loaded.task.read_at or now
    task = move(session, loaded, TaskAction.CLAIM, actor=actor, now=now, claimed_at=now, read_at=read_at)
    commit(session)
    return task


def decline_task(session: Session, *, task_id: int, reason: str, actor: Actor, clock: Clock) -> Task:
    """The recipient declines the task, saying why (the level above sees the reason)."""
    loaded = store.load(session, actor, task_id)
    require_running(loaded.campaign)
    now = clock.now()
    read_at = loaded.task.read_at or now
    task = move(
        session, loaded, TaskAction.DECLINE, actor=actor, now=now, declined_at=now, reason=reason, read_at=read_at
    )
    _tell_supervisor(session, task, loaded.campaign, event="declined", clock=clock)
    commit(session)
    return task


def report_task(
    session: Session, *, task_id: int, data: ReportBody, actor: Actor, clock: Clock, locators: LocatorCache
) -> Task:
    """回单: text, photos, GPS and checklist as the role's task asks; a point far outside the grid is flagged.

    With `raise_case`, a case is reported at the report's point in the same transaction and linked.
    """
    loaded = store.load(session, actor, task_id)
    require_running(loaded.campaign)
    lifecycle.step(loaded.task.state, TaskAction.REPORT, loaded.parties)  # 403 / 409 before 422
    _check_evidence(session, loaded, data)
    point = (data.point.lon, data.point.lat) if data.point else None
    now = clock.now()
    case_id = loaded.task.case_id
    if data.raise_case is not None:
        case_id = _raise_case(
            session,
            campaign=loaded.campaign,
            raised=data.raise_case,
            point=data.point,
            photos=store.stored_photos(session, task_id, sorted(set(data.photo_ids))),
            actor=actor,
            clock=clock,
            locators=locators,
        )
    task = move(
        session,
        loaded,
        TaskAction.REPORT,
        actor=actor,
        now=now,
        reported_at=now,
        report_text=(data.text or "").strip() or None,
        report_lon=point[0] if point else None,
        report_lat=point[1] if point else None,
        report_checklist=data.checklist,
        is_far=point is not None and _is_far(session, loaded.task.division_code, *point),
        case_id=case_id,
    )
    _tell_supervisor(session, task, loaded.campaign, event="reported", clock=clock)
    commit(session)
    return task


def check_report(session: Session, *, task_id: int, data: ReportBody, actor: Actor) -> None:
    """The report's checks without writing it: 422 naming each missing or wrong piece (403 / 404 / 409 first).

    A page whose photo was refused shows these reasons with the photo's, so a second try is the last.
    """
    loaded = store.load(session, actor, task_id)
    lifecycle.step(loaded.task.state, TaskAction.REPORT, loaded.parties)
    _check_evidence(session, loaded, data)


_WHO = (
    select(Person.name, Division.name)
    .join(Division, Division.code == bindparam("b_code"))
    .where(Person.id == bindparam("b_person"))
)


def _tell_supervisor(
    session: Session, task: Task, campaign: TaskCampaign, *, event: Literal["reported", "declined"], clock: Clock
) -> None:
    """The post supervising the recipient's learns who reported (待核验: at the report) or declined, and why.

    In this transaction. A decline is told too: the level above is the one to find someone else (改派, on the
    task's page, where the notice leads), to the supervisor and the nearest managing posts above, who may hand it
    further afield (`visibility.told_above`). A post with no supervisor tells those managing posts of both.
    """
    words = task_words(campaign.title, campaign.title_en, lifecycle.role_task(campaign.template, task.role))
    person, place = session.execute(_WHO, {"b_code": task.division_code, "b_person": task.person_id}).one()
    if event == "reported":
        text = (task.report_text or "").strip()[:500]
        said: Part = Words("notice.campaign.report_far", {"text": text}) if task.is_far else text
        key, link = str(task.returned_count), f"/tasks/{task.id}#the-report"  # the report, the buttons below it
    else:
        said = Words("notice.campaign.decline_reason", {"text": (task.reason or "").strip()[:500]})
        # Each decline its own notice (one may follow an overrule), keyed by when it was made.
        declined = task.declined_at
        key, link = (f"{declined:%Y%m%d%H%M%S%f}" if declined else "0"), f"/tasks/{task.id}#reassign"
    notify(
        session,
        recipients=visibility.told_above(task.supervisor_position_id, task.division_code, managing=event == "declined"),
        topic=f"campaign.task.{event}",
        severity="yellow" if event == "declined" else "info",  # a decline leaves the task with nobody: act on it
        title=Words(f"notice.campaign.{event}", words),
        body=[Words("notice.campaign.who", {"person": person, "place": place}), said],
        key=f"campaign-task:{task.id}:{event}:{key}",
        clock=clock,
        link=link,
        subject=f"campaign-task:{task.id}",
    )


def _check_evidence(session: Session, loaded: Loaded, data: ReportBody) -> None:
    """422 naming each missing piece of evidence, and photos that are not this task's."""
    ids = sorted(set(data.photo_ids))
    found = store.cited_photos(session, loaded.task.id, ids)
    problems = [
        {"field": "body.photo_ids", "message": f"photo {photo_id} is not a photo of this task"}
        for photo_id in ids
        if photo_id not in found
    ]
    evidence = lifecycle.ReportEvidence(
        text=data.text,
        photo_count=len(found),
        point=(data.point.lon, data.point.lat) if data.point else None,
        checklist=data.checklist,
    )
    problems += lifecycle.missing_evidence(lifecycle.role_task(loaded.campaign.template, loaded.task.role), evidence)
    if data.raise_case is not None and data.point is None:
        problems.append({"field": "body.point", "message": "a case is raised at the report's point: send it"})
    problems += _raised_case_problems(session, data.raise_case)
    if problems:
        fields = ", ".join(dict.fromkeys(p["field"] for p in problems))
        raise InvalidInputError(f"the report is incomplete: {fields}", errors=problems)


def _raised_case_problems(session: Session, raised: CaseRaise | None) -> list[dict[str, str]]:
    """The raised case's attributes checked with the rest of the report, so one refusal names every wrong input."""
    if raised is None:
        return []
    try:
        validate_attributes(matters.current_definition(session, raised.matter)[1], raised.attributes)
    except NotFoundError:
        return [{"field": "body.raise_case.matter", "message": f"matter {raised.matter} not found"}]
    except InvalidInputError as exc:
        problems = exc.extra.get("errors") or []
        return [{**problem, "field": f"body.raise_case.{problem['field']}"} for problem in problems]
    return []


def _is_far(session: Session, division_code: str, lon: float, lat: float) -> bool:
    geometry = session.scalar(_GEOMETRY, {"b_code": division_code})
    return geometry is not None and lifecycle.is_far(areal_from_geojson(geometry), lon, lat)


def _raise_case(
    session: Session,
    *,
    campaign: TaskCampaign,
    raised: CaseRaise,
    point: Point | None,
    photos: list[CheckedPhoto],
    actor: Actor,
    clock: Clock,
    locators: LocatorCache,
) -> int:
    """Report a case (channel `campaign`) at the report's point, with the report's photos; committed with the report."""
    data = CaseCreate(
        matter=raised.matter,
        point=point,
        address=raised.address,
        description=f"{raised.description}（三联工程 {campaign.number}「{campaign.title}」回单上报）",
        description_en=f"{raised.description} (reported from campaign {campaign.number} “{campaign.title_en}”)",
        attributes=raised.attributes,
        channel="campaign",
    )
    with deferred_commit(session):
        case = report_case(session, data=data, actor=actor, clock=clock, locators=locators)
    for photo in photos:  # the scene as the report shows it: the case's evidence from the first line
        attach_to_report(session, case=case, data=photo, actor=actor, clock=clock)
    return case.id


def verify_task(session: Session, *, task_id: int, note: str | None, actor: Actor, clock: Clock) -> Task:
    """核验: the level above accepts the report; the recipient is told."""
    loaded = store.load(session, actor, task_id)
    now = clock.now()
    noted = (note or "").strip()
    task = move(session, loaded, TaskAction.VERIFY, actor=actor, now=now, verified_at=now, verify_note=noted or None)
    settle_told(session, task, "reported", actor=actor, at=now)
    said = Words("notice.campaign.verified_note", {"note": noted}) if noted else Words("notice.campaign.verified")
    tell_recipient(session, task, loaded.campaign, kind="verified", said=said, clock=clock)
    commit(session)
    return task


def return_task(session: Session, *, task_id: int, reason: str, actor: Actor, clock: Clock) -> Task:
    """退回: the level above sends the report back (claimed again, one more return counted); the recipient is told."""
    loaded = store.load(session, actor, task_id)
    now = clock.now()
    returned = loaded.task.returned_count + 1
    task = move(
        session,
        loaded,
        TaskAction.RETURN,
        actor=actor,
        now=now,
        reason=reason,
        returned_count=returned,
        reported_at=None,
    )
    settle_told(session, task, "reported", actor=actor, at=now)
    said = Words("notice.campaign.returned", {"reason": reason.strip()})
    tell_recipient(
        session,
        task,
        loaded.campaign,
        kind=f"returned:{returned}",
        said=said,
        clock=clock,
        anchor="#report",
        title="notice.campaign.returned_title",  # what to do, in the title: the body may be cut on a phone
    )
    commit(session)
    return task


def overrule_decline(session: Session, *, task_id: int, reason: str, actor: Actor, clock: Clock) -> Task:
    """驳回拒领: the level above does not accept the decline; the task is back with its recipient, who is told why.

    It is read again (to claim, by its first claim time: a decline buys no time), no longer declined, and its
    reason is the level above's. Where nobody else can take it (改派 has no candidate), this is the way on.
    """
    loaded = store.load(session, actor, task_id)
    require_running(loaded.campaign)
    now = clock.now()
    task = move(session, loaded, TaskAction.OVERRULE, actor=actor, now=now, reason=reason, declined_at=None)
    settle_told(session, task, "declined", actor=actor, at=now)
    said = Words("notice.campaign.overruled", {"who": actor.display_name, "reason": reason.strip()})
    tell_recipient(
        session,
        task,
        loaded.campaign,
        kind=f"overruled:{now:%Y%m%d%H%M%S%f}",
        said=said,
        clock=clock,
        anchor="#claim",
        topic="campaign.task.overruled",
    )
    commit(session)
    return task


def rate_task(session: Session, *, task_id: int, data: RateBody, actor: Actor, clock: Clock) -> Task:
    """The level above rates a verified task (good / ok / poor)."""
    loaded = store.load(session, actor, task_id)
    now = clock.now()
    task = move(session, loaded, TaskAction.RATE, actor=actor, now=now, rating=data.rating, rated_at=now)
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
    tell_recipient(
        session,
        task,
        loaded.campaign,
        kind="rated",
        said=Words(
            "notice.campaign.rated_comment" if data.comment else "notice.campaign.rated",
            {"rating": Name.label(f"task_rating.{data.rating.value}"), "comment": data.comment or ""},
        ),
        clock=clock,
    )
    commit(session)
    return task


def settle_told(
    session: Session, task: Task, event: Literal["reported", "declined"], *, actor: Actor, at: datetime
) -> None:
    """The level above's notices of this task's report or decline, settled for the others once one has acted.

    Several may be told (a decline: the supervisor and the managing posts above): the first to verify, return,
    hand on or overrule takes the turn, and the others' notices say so (已由<name>处理).
    """
    inbox.settle_topic(
        session,
        subject=f"campaign-task:{task.id}",
        topic=f"campaign.task.{event}",
        person_id=actor.person_id,
        at=at,
        why=Settled.TAKEN,
    )


def tell_recipient(
    session: Session,
    task: Task,
    campaign: TaskCampaign,
    *,
    kind: str,
    said: Words,
    clock: Clock,
    anchor: str = "",
    topic: str = "campaign.task.result",
    title: str = "notice.campaign.task",
) -> None:
    """A notification to the recipient, in this transaction (the key names the task and the event).

    `anchor` is where on the task's page they act (`#report`: the report form, filled again with what was sent back).
    """
    words = task_words(campaign.title, campaign.title_en, lifecycle.role_task(campaign.template, task.role))
    notify(
        session,
        recipients=[task.person_id],
        topic=topic,
        severity="info",
        title=Words(title, words),
        body=[said],
        key=f"campaign-task:{task.id}:{kind}",
        clock=clock,
        link=f"/tasks/{task.id}{anchor}",
        subject=f"campaign-task:{task.id}",
    )
