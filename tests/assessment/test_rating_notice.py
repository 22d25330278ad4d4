"""The raters are told once a month that last month's cross-evaluation is open, with a link to the form."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.notify.helpers import in_both_languages
from zhili.assessment.rating_notice import raters, tell_raters
from zhili.core.clock import FrozenClock
from zhili.notify.models import InboxItem, Notification


def test_every_rater_is_told_once_with_a_link_to_the_form(session: Session, clock: FrozenClock) -> None:
    month = tell_raters(session, clock=clock)
    assert month == "2026-06"
    notice = session.scalars(select(Notification).where(Notification.key == f"assessment.ratings:{month}")).one()
    assert notice.link == f"/assessment/ratings?month={month}"
    told = set(session.scalars(select(InboxItem.person_id).where(InboxItem.notification_id == notice.id)))
    assert told == set(session.scalars(raters()))
    assert told  # command rooms and unit heads
    tell_raters(session, clock=clock)
    again = session.scalar(select(func.count()).where(InboxItem.notification_id == notice.id))
    assert again == len(told)  # the second look tells nobody again
    zh, en = in_both_languages(session, notice.key, min(told))
    assert zh.title == "请完成 2026-06 月度互评"
    assert en.title == "Please complete the cross-evaluation for 2026-06"
    assert en.body.startswith("The cross-evaluation for 2026-06 is open: ")
