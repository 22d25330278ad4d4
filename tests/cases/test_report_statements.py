"""A report is written in a small, fixed number of statements, none through the ORM's execution path.

Intake's cost is mostly per statement (SQLAlchemy's execution path, then SQLite's), so the count is
guarded here rather than a time: the case, its first three timeline lines in one INSERT, the
dispatcher's and the grid contact's notices queued together, the timers and the audit record. Both
kinds of round trip are counted: statements through SQLAlchemy and those prepared on the driver
(`core.prepared`); an `executemany` is one.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session
from tests.cases.test_flow import fushan_point, report_body

from zhili.access.models import Account
from zhili.access.service import actor_for
from zhili.cases import service
from zhili.cases.models import CaseEvent
from zhili.cases.schemas import CaseCreate
from zhili.clocks.overrides import forget_cached
from zhili.core import prepared
from zhili.core.clock import FrozenClock
from zhili.notify.models import InboxItem, Notification
from zhili.org.geo import LocatorCache

MOST_STATEMENTS = 20  # 26 before the report's lines and notices were written together, 10 of them through the ORM


def test_a_report_takes_at_most_twenty_statements_none_through_the_orm(
    session: Session, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = session.scalars(select(Account).where(Account.username == "gridworker")).one()
    actor = actor_for(session, account)
    _grid, point = fushan_point(session)
    data = CaseCreate.model_validate(report_body(point))
    locators = LocatorCache()
    # The warm-up builds the caches afresh: a county's calendar is kept a minute of wall time, and one an
    # earlier test left, about to expire, made the measured report read it again (a flaky failure under load).
    forget_cached()
    service.report_case(session, data=data, actor=actor, clock=clock, locators=locators)  # builds the caches

    statements: list[str] = []
    through_orm: list[str] = []

    def count(*args: Any) -> None:
        sql = str(args[2])
        if not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):
            statements.append(sql)

    def orm(state: ORMExecuteState) -> None:
        through_orm.append(str(state.statement))

    on_driver = prepared._execute

    def count_prepared(driver: Any, form: Any, call: Any) -> prepared.Result:
        statements.append(form.sql)
        return on_driver(driver, form, call)

    connection = session.connection()
    monkeypatch.setattr(prepared, "_execute", count_prepared)
    event.listen(connection, "before_cursor_execute", count)
    event.listen(session, "do_orm_execute", orm)
    try:
        case = service.report_case(session, data=data, actor=actor, clock=clock, locators=locators)
    finally:
        event.remove(connection, "before_cursor_execute", count)
        event.remove(session, "do_orm_execute", orm)

    assert len(statements) <= MOST_STATEMENTS, "\n".join(statements)
    assert through_orm == []
    lines = session.execute(select(CaseEvent.seq, CaseEvent.kind).where(CaseEvent.case_id == case.id)).all()
    assert sorted(lines) == [(1, "report"), (2, "routed"), (3, "contact_informed")]
    keys = set(
        session.scalars(
            select(Notification.key).join(InboxItem).where(Notification.subject == f"case:{case.id}").distinct()
        )
    )
    assert keys == {f"case:{case.id}:event:1", f"case:{case.id}:event:3"}
