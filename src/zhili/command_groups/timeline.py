"""Posting to a group's timeline: a message, with a photo or a place if the member adds one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from zhili.command_groups.lifecycle import EntryKind, GroupAction, refused, require
from zhili.command_groups.models import GroupPhoto
from zhili.command_groups.store import add_entry, for_change, touch
from zhili.core import audit
from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.media import CheckedPhoto, add_photo

BODY_LENGTH = 2_000


def post_message(
    session: Session,
    *,
    group_id: int,
    body: str,
    point: tuple[float, float] | None,
    photo: CheckedPhoto | None,
    actor: Actor,
    clock: Clock,
) -> int:
    """A member posts to the timeline (text, a photo, a place, or any of them); the id of the new line."""
    loaded = for_change(session, actor, group_id)
    require(loaded.role, GroupAction.POST, loaded.state)
    text = body.strip()
    if not text and photo is None and point is None:
        raise refused("body", "group.error.empty_post", "a post needs a message, a photo or a place")
    if len(text) > BODY_LENGTH:
        raise refused("body", "group.error.long_post", f"a message is at most {BODY_LENGTH:,} characters")
    now = clock.now()
    touch(session, group_id, now)
    photo_id = store_photo(session, group_id, photo, actor=actor, at=now)
    entry = add_entry(
        session, group_id, EntryKind.MESSAGE, actor=actor, at=now, body=text or None, point=point, photo_id=photo_id
    )
    audit.record_by(
        session,
        actor,
        "command_group.post",
        entity_type="command_group",
        entity_id=group_id,
        after={"entry_id": entry.id, "chars": len(text), "photo_id": photo_id, "point": list(point) if point else None},
        at=now,
    )
    commit(session)
    return entry.id


def store_photo(
    session: Session, group_id: int, photo: CheckedPhoto | None, *, actor: Actor, at: datetime
) -> int | None:
    """A photo of the group's timeline (a post's, an instruction's 办结), stored and audited; its id (None: none)."""
    if photo is None:
        return None
    row = GroupPhoto(group_id=group_id, uploaded_at=at, **photo.columns())
    return add_photo(
        session, row, photo, actor=actor, action="command_group.photo", entity=("command_group", group_id), at=at
    ).id
