"""The menu's offer of 欠薪预警 (`sees_register`, from the actor alone) agrees with the register's `reach`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.campaigns.task_helpers import actor_of
from zhili.access.models import Account
from zhili.early_warning.visibility import reach, sees_register


def test_the_register_is_offered_to_exactly_whom_it_can_show_a_firm(session: Session) -> None:
    usernames = session.scalars(select(Account.username).order_by(Account.username)).all()
    assert len(usernames) >= 16  # every demo login: centres, commands, grids, labour, traffic, housing
    offered = {}
    for username in usernames:
        actor = actor_of(session, username)
        offered[username] = sees_register(actor)
        assert offered[username] == bool(reach(session, actor).grants or actor.scope.is_everything), username
    assert offered["qj-hrss"]
    assert not offered["kc-traffic"]
