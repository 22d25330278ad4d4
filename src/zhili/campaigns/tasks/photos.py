"""Report photos: uploaded by the recipient of a claimed task, checked like every upload (`core.media.check_photo`).

A simulation's played-back reports carry a photo too, written set-based (`insert_played_back`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Insert, Table, bindparam, func, insert, literal, select
from sqlalchemy.orm import Session

from zhili.campaigns.lifecycle import TaskParty, TaskState, allowed_actions
from zhili.campaigns.models import CampaignTask, TaskPhoto
from zhili.campaigns.tasks import store
from zhili.campaigns.visibility import load_reach, visible_tasks
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from zhili.core.media import CheckedPhoto, add_photo, check_photo

# Uploads a task may hold (a report cites at most `tasks.MAX_PHOTOS`; retakes and returns need room).
MAX_UPLOADS = 30
PHOTO_BEFORE_REPORT = timedelta(minutes=2)  # a played-back report's photo is taken this long before it is sent


@dataclass(frozen=True, slots=True)
class PlayedBack:
    """A played-back report to carry a photo: its task, its instant and when it was claimed."""

    task_id: int
    reported_at: datetime
    claimed_at: datetime

    @property
    def taken_at(self) -> datetime:
        """Just before the report, and never before the claim (only a claimed task takes photos)."""
        return max(self.claimed_at, self.reported_at - PHOTO_BEFORE_REPORT)


def attach_task_photo(
    session: Session, *, task_id: int, data: bytes | CheckedPhoto, actor: Actor, clock: Clock
) -> TaskPhoto:
    """Store a photo for the report of a claimed task of the actor's; cite its id in the report."""
    checked = check_photo(data)  # before any database work
    loaded = store.load(session, actor, task_id)
    task, parties = loaded.task, loaded.parties
    if TaskParty.RECIPIENT not in parties:
        raise ForbiddenError(
            "only the person the task was sent to adds photos to its report", message_key="forbidden.task_photo"
        )
    if task.state != TaskState.CLAIMED:
        allowed = [str(action) for action in allowed_actions(task.state, parties)]
        raise ConflictError(f"photos belong to a report; a task that is {task.state} takes none", allowed=allowed)
    if (session.scalar(select(func.count()).where(TaskPhoto.task_id == task.id)) or 0) >= MAX_UPLOADS:
        raise InvalidInputError(f"a task holds at most {MAX_UPLOADS} photos")
    now = clock.now()
    row = TaskPhoto(task_id=task.id, **checked.columns(), uploaded_at=now)
    entity = ("campaign_task", task.id)
    photo = add_photo(session, row, checked, actor=actor, action="campaign.task.photo_added", entity=entity, at=now)
    commit(session)
    return photo


def insert_played_back(session: Session, photo: CheckedPhoto, reports: Sequence[PlayedBack]) -> None:
    """The same photo on each of many played-back reports: one executemany INSERT … SELECT.

    For a simulation's reports (`zhili campaigns simulate`, the demo), which the task store moves
    set-based: unchecked and unaudited per task, as those moves are (the caller audits the run). A task
    whose report is not the one played back (its recipient reported first) gets none.
    """
    if reports:
        rows = [{"b_task": r.task_id, "b_reported": r.reported_at, "b_at": r.taken_at} for r in reports]
        session.connection().execute(_played_back_insert(photo), rows)


def _played_back_insert(photo: CheckedPhoto) -> Insert:
    photos = cast("Table", TaskPhoto.__table__)
    table, task = photos.c, CampaignTask
    columns = photo.columns()
    rows = select(
        task.id,
        literal(columns["content_type"], table.content_type.type),
        literal(columns["size"], table.size.type),
        literal(columns["sha256"], table.sha256.type),
        literal(columns["data"], table.data.type),
        bindparam("b_at", type_=table.uploaded_at.type),
    ).where(task.id == bindparam("b_task"), task.reported_at == bindparam("b_reported"))
    names = ["task_id", "content_type", "size", "sha256", "data", "uploaded_at"]
    return insert(photos).from_select(names, rows)


def read_task_photo(session: Session, *, photo_id: int, actor: Actor) -> TaskPhoto:
    """A photo of a task the actor may see; else 404."""
    photo = session.scalars(
        select(TaskPhoto)
        .join(CampaignTask, CampaignTask.id == TaskPhoto.task_id)
        .where(TaskPhoto.id == photo_id, visible_tasks(load_reach(session, actor)))
    ).first()
    if photo is None:
        raise NotFoundError(f"photo {photo_id} not found")
    return photo
