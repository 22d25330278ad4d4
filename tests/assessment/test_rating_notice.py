"""The raters are told once a month that last month's cross-evaluation is open, with a link to the form."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.notify.helpers import in_both_languages
from zhili.access.models import Account
from zhili.access.service import actor_for
from zhili.assessment import ratings
from zhili.assessment.period import Month
from zhili.assessment.rating_notice import raters, raters_with_work, tell_raters
from zhili.core.clock import FrozenClock
from zhili.notify.models import InboxItem, Notification


def test_every_rater_is_told_once_with_a_link_to_the_form(session: Session, clock: FrozenClock) -> None:
    month = tell_raters(session, clock=clock)
    assert month == "2026-06"
    notice = session.scalars(select(Notification).where(Notification.key == f"assessment.ratings:{month}")).one()
    assert notice.link == f"/assessment/ratings?month={month}"
    told = set(session.scalars(select(InboxItem.person_id).where(InboxItem.notification_id == notice.id)))
    assert told == set(raters_with_work(session, Month.parse(month), now=clock.now()))
    assert told  # command rooms and unit heads
    assert told < set(session.scalars(raters()))  # not those with nobody to rate
    tell_raters(session, clock=clock)
    again = session.scalar(select(func.count()).where(InboxItem.notification_id == notice.id))
    assert again == len(told)  # the second look tells nobody again
    zh, en = in_both_languages(session, notice.key, min(told))
    assert zh.title == "请完成 2026-06 月度互评"
    assert en.title == "Please complete the cross-evaluation for 2026-06"
    assert en.body.startswith("The cross-evaluation for 2026-06 is open: ")


def test_a_unit_head_with_nobody_to_rate_is_not_sent_to_an_empty_form(session: Session, clock: FrozenClock) -> None:
    """Each one told finds someone on their form; a unit head whose unit no township dispatched to is left alone."""
    month = tell_raters(session, clock=clock)
    notice = session.scalars(select(Notification).where(Notification.key == f"assessment.ratings:{month}")).one()
    told = set(session.scalars(select(InboxItem.person_id).where(InboxItem.notification_id == notice.id)))
    left_out = 0
    for person_id in set(session.scalars(raters())):
        account = session.scalars(select(Account).where(Account.person_id == person_id)).first()
        if account is None:
            continue
        actor = actor_for(session, account)
        rows = [
            row
            for rater in ratings.raters_of(session, actor)
            for row in ratings.form_rows(session, rater, Month.parse(month), now=clock.now())
        ]
        assert (person_id in told) == bool(rows), account.username
        left_out += not rows
    assert left_out  # the demo world has such a unit head
