"""My inbox (收件箱): the items of the person behind the login, newest first, and marking them read.

Only the actor's own person is ever reached: another person's item is 404, and a login without a
person (the built-in administrator) has an empty inbox. A notice is also settled when one of the people
told with me acts on what it is about (`settle_about`): it is read, and says who did it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    bindparam,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session, aliased

from zhili.core.auth import Actor
from zhili.core.clock import Clock
from zhili.core.db import commit
from zhili.core.errors import NotFoundError
from zhili.core.pagination import Key, Page, decode_cursor, encode_cursor
from zhili.core.prepared import Prepared
from zhili.notify.kinds import Settled, Severity
from zhili.notify.models import InboxItem, Notification
from zhili.notify.schemas import InboxItemRead, MarkedRead, Said, UnreadCount
from zhili.notify.wording import Piece, body_pieces, joined, title_pieces
from zhili.org.models import Person

STREAM_BATCH = 50


def _mine(actor: Actor) -> Any:
    return InboxItem.person_id == actor.person_id if actor.person_id is not None else false()


_SETTLER = aliased(Person)


def _rows() -> Any:
    """Items with their notification and the name of whoever settled them (`settle_about`, `settle_topic`), if any."""
    return (
        select(InboxItem, Notification, _SETTLER.name)
        .join(Notification, Notification.id == InboxItem.notification_id)
        .outerjoin(_SETTLER, _SETTLER.id == InboxItem.settled_by)
    )


def _read(row: Row[Any], language: str = "zh") -> InboxItemRead:
    """An item, its title and body in `language` where they have message keys (`notify.wording`), else as stored.

    The stored title and body are the Chinese rendering, so a Chinese reader gets them as they are.
    """
    item, notice, settler = tuple(row)
    words: dict[str, Any] = {"title": notice.title, "body": notice.body, "lang": "zh"}
    if language != "zh":
        title = title_pieces(notice.title_key, notice.title_params, language, notice.created_at)
        body = body_pieces(notice.body_parts, language, notice.created_at)
        if title or body is not None:
            words = {"title": joined(title) if title else notice.title, "lang": language}
            words |= {"body": joined(body) if body is not None else notice.body}
            words |= {"title_pieces": _said(title), "body_pieces": _said(body)}
    return InboxItemRead(
        id=item.id,
        notification_id=notice.id,
        topic=notice.topic,
        severity=Severity(notice.severity),
        link=notice.link,
        subject=notice.subject,
        created_at=notice.created_at,
        read_at=item.read_at,
        settled_by=item.settled_by,
        settled_as=Settled(item.settled_as) if item.settled_as else None,
        settled_by_name=settler,
        **words,
    )


def _said(pieces: list[Piece] | None) -> list[Said] | None:
    return [Said(text=text, is_chinese=is_chinese) for text, is_chinese in pieces] if pieces else None


def list_inbox(
    session: Session,
    actor: Actor,
    *,
    is_unread: bool = False,
    cursor: str | None = None,
    limit: int = 50,
    language: str = "zh",
) -> Page[InboxItemRead]:
    """My items, newest first; only the unread ones if asked; titles and bodies with message keys in `language`."""
    stmt = _rows().where(_mine(actor))
    if is_unread:
        stmt = stmt.where(InboxItem.read_at.is_(None))
    if cursor is not None:
        (before,) = decode_cursor(cursor, (Key.INT,))
        stmt = stmt.where(InboxItem.id < before)
    rows = session.execute(stmt.order_by(InboxItem.id.desc()).limit(limit + 1)).all()
    items = [_read(row, language) for row in rows[:limit]]
    next_cursor = encode_cursor([items[-1].id]) if len(rows) > limit else None
    return Page[InboxItemRead](items=items, next_cursor=next_cursor)


def items_after(session: Session, person_id: int, after_id: int, *, language: str = "zh") -> list[InboxItemRead]:
    """A person's items newer than `after_id`, oldest first (what the live stream sends next), worded in `language`."""
    stmt = _rows().where(InboxItem.person_id == person_id, InboxItem.id > after_id)
    return [_read(row, language) for row in session.execute(stmt.order_by(InboxItem.id).limit(STREAM_BATCH))]


def latest_item_id(session: Session, person_id: int) -> int:
    """The id of a person's newest item (0 when the inbox is empty)."""
    found = session.scalar(select(func.max(InboxItem.id)).where(InboxItem.person_id == person_id))
    return int(found or 0)


def unread_count(session: Session, actor: Actor) -> UnreadCount:
    """How many of my items are unread."""
    return UnreadCount(unread=unread_of(session, actor.person_id) if actor.person_id is not None else 0)


def unread_of(session: Session, person_id: int) -> int:
    """How many of a person's items are unread."""
    stmt = select(func.count()).select_from(InboxItem).where(InboxItem.person_id == person_id)
    return int(session.scalar(stmt.where(InboxItem.read_at.is_(None))) or 0)


def mark_read(session: Session, *, item_id: int, actor: Actor, clock: Clock) -> InboxItemRead:
    """Mark one of my items read (reading it twice keeps the first time); 404 for anyone else's."""
    row = session.execute(_rows().where(InboxItem.id == item_id, _mine(actor))).first()
    if row is None:
        raise NotFoundError("inbox item not found")
    item = row[0]
    if item.read_at is None:
        item.read_at = clock.now()
        commit(session)
    return _read(row)


def mark_all_read(session: Session, *, actor: Actor, clock: Clock, up_to: int | None = None) -> MarkedRead:
    """Mark all my unread items read (those up to item `up_to` when given: what the page showed)."""
    stmt = update(InboxItem).where(_mine(actor), InboxItem.read_at.is_(None))
    if up_to is not None:
        stmt = stmt.where(InboxItem.id <= up_to)
    marked = session.connection().execute(stmt.values(read_at=clock.now())).rowcount
    commit(session)
    return MarkedRead(marked=max(marked, 0))


def _unread_about(person_id: int, subjects: Sequence[str]) -> Any:
    """A person's unread items about these subjects: found from their own few unread items (by person)."""
    return (
        select(InboxItem.id)
        .join(Notification, Notification.id == InboxItem.notification_id)
        .where(InboxItem.person_id == person_id, InboxItem.read_at.is_(None), Notification.subject.in_(subjects))
    )


def has_unread_about(session: Session, actor: Actor, *subjects: str) -> bool:
    """Whether any of my items about `subjects` (e.g. `case:42`) is unread."""
    if actor.person_id is None or not subjects:
        return False
    return session.scalar(select(_unread_about(actor.person_id, subjects).exists())) is True


def read_about(session: Session, *, actor: Actor, subjects: Sequence[str], clock: Clock) -> int:
    """Mark my items about `subjects` read: I have seen what they are about (its page); the number marked."""
    if actor.person_id is None or not subjects:
        return 0
    ids = _unread_about(actor.person_id, subjects).scalar_subquery()
    marked = session.connection().execute(update(InboxItem).where(InboxItem.id.in_(ids)).values(read_at=clock.now()))
    commit(session)
    return max(int(marked.rowcount), 0)


_MINE = aliased(InboxItem)
_NOT_ANSWERABLE = false()


@lru_cache(maxsize=16)
def _settling(topics: frozenset[str], answerable: ColumnElement[bool]) -> Prepared:
    """The notices of these topics about a subject that the actor was told with others, unread: read, by the actor.

    Or that `answerable` says are the actor's to settle though they were not told them (the caller's own
    rule, such as a notice the actor's own act sent to their colleagues). Found from the subject's few
    notices (`ix_notifications_subject`), never from the actor's whole inbox; the topics are part of the
    statement, prepared once per set (one a caller: `cases.handoffs.ASKING`).
    """
    told_with = exists().where(_MINE.notification_id == Notification.id, _MINE.person_id == bindparam("b_person"))
    about = select(Notification.id).where(
        Notification.subject == bindparam("b_subject"),
        Notification.topic.in_(sorted(topics)),
        or_(told_with, answerable),
    )
    return Prepared(
        update(InboxItem)
        .where(InboxItem.notification_id.in_(about), InboxItem.settled_by.is_(None))
        .values(
            # Read now if unread; each copy says by whom (已由<name>处理), the actor's own that they did (您已处理).
            read_at=func.coalesce(InboxItem.read_at, bindparam("b_at")),
            settled_by=bindparam("b_person"),
            settled_as=literal(Settled.TAKEN.value),
        )
    )


def settle_about(
    session: Session,
    *,
    subject: str,
    topics: frozenset[str],
    person_id: int | None,
    at: datetime,
    answerable: ColumnElement[bool] | None = None,
    params: dict[str, Any] | None = None,
) -> int:
    """Settle the notices of `topics` about `subject` (`case:42`) that `person_id`, who acted, was told with others.

    Each copy not yet settled says the actor did it (已由<name>处理; the actor's own 您已处理), and one still unread
    is read at `at` (an act through the API or the demo's people leaves no unread copy of what they did behind).
    `topics` are the notices that ask someone to act (a hand-off's 请签收, not a 请知悉): one of those told did it.
    `answerable` (a condition on `Notification`, a module's constant, with its bound `params`) adds notices the
    actor answers for without a copy of their own.
    In the caller's transaction; how many.
    """
    if person_id is None or not topics:
        return 0
    bound = {"b_subject": subject, "b_person": person_id, "b_at": at, **(params or {})}
    return max(_settling(topics, _NOT_ANSWERABLE if answerable is None else answerable).run(session, bound).rowcount, 0)


def settle_topic(
    session: Session, *, subject: str, topic: str, person_id: int | None, at: datetime, why: Settled
) -> int:
    """Settle every unread notice of `topic` about `subject` (`case.request_extension` on `case:42`).

    What it asked for is gone, by `person_id`'s act (`why`: a reply withdrew the request, a close cancelled
    it, a colleague took it). Every copy not yet settled says so, read at `at` if unread; the actor's own copy
    only when they took it (您已处理), else it is left to them. In the caller's transaction; how many.
    """
    told = select(Notification.id).where(Notification.subject == subject, Notification.topic == topic)
    others = InboxItem.person_id != person_id if person_id is not None and why is not Settled.TAKEN else true()
    settled = session.connection().execute(
        update(InboxItem)
        .where(InboxItem.notification_id.in_(told), InboxItem.settled_by.is_(None), others)
        .values(read_at=func.coalesce(InboxItem.read_at, at), settled_by=person_id, settled_as=why.value)
    )
    return max(int(settled.rowcount), 0)


def settle_reader(
    session: Session,
    *,
    subject: str,
    topic: str,
    reader_id: int,
    person_id: int | None,
    at: datetime,
    why: Settled,
    unless: ColumnElement[bool] | None = None,
) -> int:
    """Settle one reader's copies of `topic` about `subject`: what they asked of them was taken away by `person_id`.

    A campaign's 新任务 notice, once the recipient's task went to someone else (改派): it says so
    (已由<name>改派他人), read at `at` if unread. `unless` (a condition, such as another open task of
    theirs the same notice asked for) leaves it as it was; so does an act of no person's (an administrator's
    login without one: the notice would be read with nobody named). In the caller's transaction; how many.
    """
    if person_id is None:
        return 0
    told = select(Notification.id).where(Notification.subject == subject, Notification.topic == topic)
    conditions = [InboxItem.notification_id.in_(told), InboxItem.person_id == reader_id, InboxItem.settled_by.is_(None)]
    if unless is not None:
        conditions.append(~unless)
    settled = session.connection().execute(
        update(InboxItem)
        .where(*conditions)
        .values(read_at=func.coalesce(InboxItem.read_at, at), settled_by=person_id, settled_as=why.value)
    )
    return max(int(settled.rowcount), 0)
