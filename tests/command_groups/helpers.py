"""Command-group tests' helpers: a group opened by 柯城区's centre in 府山街道 with the demo logins in it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.campaigns.task_helpers import actor_of, post_of
from tests.conftest import START
from zhili.command_groups.groups import GroupOpen, open_group
from zhili.command_groups.lifecycle import MemberRole
from zhili.command_groups.members import NewMember
from zhili.core.clock import Clock
from zhili.notify.models import InboxItem, Notification
from zhili.org.models import Person


def fushan(session: Session) -> str:
    """The code of 府山街道 (where the `fushan` login's command room sits)."""
    return post_of(session, "fushan", "township_command").division_code


def person(session: Session, username: str) -> int:
    """A demo login's person id."""
    found = actor_of(session, username).person_id
    assert found is not None
    return found


def actor_name(session: Session, username: str) -> str:
    """A demo login's person's name."""
    found = session.get(Person, person(session, username))
    assert found is not None
    return found.name


def open_fushan_group(session: Session, clock: Clock, *, title: str = "府山街道暴雨内涝处置指挥组") -> int:
    """kc-centre opens a group in 府山街道: fushan deputy, kc-traffic liaison, gridworker member."""
    members = (
        NewMember(person(session, "fushan"), MemberRole.DEPUTY),
        NewMember(person(session, "kc-traffic"), MemberRole.LIAISON),
        NewMember(person(session, "gridworker"), MemberRole.MEMBER),
    )
    data = GroupOpen(title=title, summary="中山路积水严重，需多部门联动。", area=fushan(session), members=members)
    return open_group(session, data=data, actor=actor_of(session, "kc-centre"), clock=clock)


def inbox_links(session: Session, username: str, topic_prefix: str = "command_group.") -> list[str]:
    """The links of a login's command-group notifications since the demo was built, oldest first.

    The demo's own groups told their members before the tests' clock (`START`); those are left out.
    """
    stmt = (
        select(Notification.link)
        .join(InboxItem, InboxItem.notification_id == Notification.id)
        .where(InboxItem.person_id == person(session, username), Notification.topic.startswith(topic_prefix))
        .where(Notification.created_at >= START)
        .order_by(InboxItem.id)
    )
    return [link or "" for link in session.scalars(stmt)]
