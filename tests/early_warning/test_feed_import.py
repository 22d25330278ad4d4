"""Importing department feeds: stored by firm and month, bad rows reported by line, re-imports replace."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.early_warning.helpers import ADMIN, FUSHAN, HUZHEN, code, csv_of, ids_of, register
from zhili.core.auth import Actor, Scope
from zhili.core.clock import FrozenClock
from zhili.core.errors import ForbiddenError, InvalidInputError
from zhili.early_warning.feeds.csv_text import decode
from zhili.early_warning.feeds.schema import FeedKind, Mode
from zhili.early_warning.feeds.service import ImportReport, import_feed
from zhili.early_warning.models import FeedBatch, FirmEvent, FirmMonth
from zhili.org.geo import LocatorCache

ELECTRICITY = ("credit_code", "month", "kwh", "bill_arrears_yuan")


def load(session: Session, clock: FrozenClock, kind: FeedKind, data: bytes, mode: Mode = Mode.REPLACE) -> ImportReport:
    parsed = decode(data)
    return import_feed(
        session,
        actor=ADMIN,
        clock=clock,
        kind=kind,
        header=parsed.header,
        rows=parsed.rows(),
        source="feed.csv",
        mode=mode,
    )


@pytest.fixture
def firms(session: Session, clock: FrozenClock, locators: LocatorCache) -> None:
    report = register(session, clock, locators, (1, FUSHAN), (2, FUSHAN), (3, HUZHEN))
    assert (report.added, report.rejected) == (3, ())


def kwh(session: Session) -> dict[tuple[str, int], float | None]:
    mine = FirmMonth.enterprise_id.in_(ids_of(session, 1, 2, 3))
    rows = session.execute(
        select(FirmMonth.enterprise_id, FirmMonth.month, FirmMonth.electricity_kwh).where(mine)
    ).all()
    return {(str(firm), month): value for firm, month, value in rows}


@pytest.mark.usefixtures("firms")
def test_a_monthly_feed_lands_in_the_panel_with_its_batch(session: Session, clock: FrozenClock) -> None:
    report = load(
        session,
        clock,
        FeedKind.ELECTRICITY,
        csv_of(
            ELECTRICITY,
            (code(1), "2026-05", 52000, 0),
            (code(1), "2026-06", "21,000", 3400),
            (code(2), "2026-06", 800, None),
        ),
    )
    assert (report.accepted, report.rejected) == (3, ())
    assert [str(month) for month in report.months] == ["2026-05", "2026-06"]
    rows = session.execute(
        select(FirmMonth.electricity_kwh, FirmMonth.electricity_arrears, FirmMonth.electricity_batch_id)
        .where(FirmMonth.enterprise_id.in_(ids_of(session, 1, 2, 3)))
        .order_by(FirmMonth.enterprise_id, FirmMonth.month)
    ).all()
    assert [tuple(row) for row in rows] == [
        (52000.0, 0.0, report.batch_id),
        (21000.0, 3400.0, report.batch_id),
        (800.0, None, report.batch_id),
    ]
    batch = session.get_one(FeedBatch, report.batch_id)
    assert (batch.kind, batch.provider, batch.rows_accepted, batch.rows_rejected) == ("electricity", "供电公司", 3, 0)


@pytest.mark.usefixtures("firms")
def test_bad_rows_are_reported_by_line_and_the_rest_is_stored(session: Session, clock: FrozenClock) -> None:
    report = load(
        session,
        clock,
        FeedKind.ELECTRICITY,
        csv_of(
            ELECTRICITY,
            (code(1), "2026-06", 100, 0),  # line 2: fine
            (code(1)[:-1] + "0", "2026-06", 100, 0),  # 3: a wrong check character
            (code(2), "2026-13", 100, 0),  # 4: no such month
            (code(2), "2026-09", 100, 0),  # 5: after the clock's month
            (code(2), "2026-06", -5, 0),  # 6: negative
            (code(2), "2026-06", "many", 0),  # 7: not a number
            (code(1), "2026-06", 200, 0),  # 8: a duplicate of line 2
            (code(99), "2026-06", 100, 0),  # 9: not in the register
            (code(3), "2026-06", 300, 0),  # 10: fine
        ),
    )
    assert report.accepted == 2
    assert [(r.line, r.column) for r in report.rejected] == [
        (3, "credit_code"),
        (4, "month"),
        (5, "month"),
        (6, "kwh"),
        (7, "kwh"),
        (8, None),
        (9, "credit_code"),
    ]
    reasons = [r.reason for r in report.rejected]
    assert "校验位" in reasons[0]
    assert "duplicate of line 2" in reasons[5]
    assert "not in the register" in reasons[6]
    assert sorted(v for v in kwh(session).values()) == [100.0, 300.0]
    assert session.get_one(FeedBatch, report.batch_id).rows_rejected == 7


@pytest.mark.usefixtures("firms")
def test_importing_the_same_month_again_replaces_it(session: Session, clock: FrozenClock) -> None:
    first = csv_of(ELECTRICITY, (code(1), "2026-06", 100, 0), (code(2), "2026-06", 200, 0), (code(2), "2026-05", 50, 0))
    load(session, clock, FeedKind.ELECTRICITY, first)
    load(session, clock, FeedKind.ELECTRICITY, first)
    assert len(kwh(session)) == 3
    again = load(session, clock, FeedKind.ELECTRICITY, csv_of(ELECTRICITY, (code(1), "2026-06", 150, 0)))
    values = sorted(((month, value) for (_firm, month), value in kwh(session).items()), key=str)
    # June is replaced wholesale (firm 2 left June's feed); May, not in the file, is untouched.
    assert values == [(24316, 50.0), (24317, 150.0), (24317, None)]
    assert again.months[0].index == 24317


@pytest.mark.usefixtures("firms")
def test_merge_only_overwrites_the_rows_it_brings(session: Session, clock: FrozenClock) -> None:
    load(
        session,
        clock,
        FeedKind.ELECTRICITY,
        csv_of(ELECTRICITY, (code(1), "2026-06", 100, 0), (code(2), "2026-06", 200, 0)),
    )
    load(session, clock, FeedKind.ELECTRICITY, csv_of(ELECTRICITY, (code(1), "2026-06", 111, 0)), Mode.MERGE)
    assert sorted(v for v in kwh(session).values()) == [111.0, 200.0]


@pytest.mark.usefixtures("firms")
def test_feeds_share_the_firms_month_row(session: Session, clock: FrozenClock) -> None:
    load(session, clock, FeedKind.ELECTRICITY, csv_of(ELECTRICITY, (code(1), "2026-06", 100, 0)))
    load(
        session,
        clock,
        FeedKind.PAYROLL,
        csv_of(
            ("credit_code", "month", "headcount", "wages_due_yuan", "wages_paid_yuan", "pay_date"),
            (code(1), "2026-06", 40, 240000, 120000, "2026-07-15"),
        ),
    )
    row = session.execute(select(FirmMonth).where(FirmMonth.enterprise_id.in_(ids_of(session, 1)))).scalar_one()
    assert (row.electricity_kwh, row.payroll_headcount, row.wages_due, row.wages_paid) == (
        100.0,
        40.0,
        240000.0,
        120000.0,
    )
    assert row.pay_delay_days == 15.0  # days after 30 June
    # Replacing the payroll leaves electricity alone.
    load(
        session,
        clock,
        FeedKind.PAYROLL,
        csv_of(
            ("credit_code", "month", "headcount", "wages_due_yuan", "wages_paid_yuan"), (code(2), "2026-06", 5, 1, 1)
        ),
    )
    session.expire_all()
    mine = session.scalars(
        select(FirmMonth).where(FirmMonth.enterprise_id.in_(ids_of(session, 1, 2))).order_by(FirmMonth.enterprise_id)
    ).all()
    assert [(r.electricity_kwh, r.payroll_headcount) for r in mine] == [(100.0, None), (None, 5.0)]


@pytest.mark.usefixtures("firms")
def test_events_are_kept_once_and_replaced_by_month(session: Session, clock: FrozenClock) -> None:
    header = ("credit_code", "event", "date", "reference", "authority")
    data = csv_of(
        header,
        (code(1), "court_enforcement", "2026-06-03", "(2026)浙0802执123号", "柯城区人民法院"),
        (code(1), "business_anomaly", "2026-05-20", "YC-1", None),
        (code(1), "court_enforcement", "2026-06-03", "(2026)浙0802执123号", "柯城区人民法院"),
        (code(2), "bankrupt", "2026-06-03", "X", None),
    )
    report = load(session, clock, FeedKind.LEGAL_EVENTS, data)
    assert report.accepted == 2
    assert [(r.line, r.column) for r in report.rejected] == [(4, None), (5, "event")]
    load(session, clock, FeedKind.LEGAL_EVENTS, data)
    events = select(func.count()).select_from(FirmEvent).where(FirmEvent.enterprise_id.in_(ids_of(session, 1, 2)))
    assert session.scalar(events) == 2


def test_an_unknown_column_set_is_refused_whole(session: Session, clock: FrozenClock) -> None:
    batches = session.scalar(select(func.count()).select_from(FeedBatch))
    with pytest.raises(InvalidInputError, match="unknown columns: watts"):
        load(session, clock, FeedKind.ELECTRICITY, csv_of(("credit_code", "month", "watts"), (code(1), "2026-06", 1)))
    with pytest.raises(InvalidInputError, match="missing columns: kwh"):
        load(session, clock, FeedKind.ELECTRICITY, csv_of(("credit_code", "month"), (code(1), "2026-06")))
    assert session.scalar(select(func.count()).select_from(FeedBatch)) == batches


def test_only_administrators_import_feeds(session: Session, clock: FrozenClock) -> None:
    clerk = Actor(username="clerk", display_name="clerk", roles=frozenset({"centre_staff"}), scope=Scope.everything())
    parsed = decode(csv_of(ELECTRICITY, (code(1), "2026-06", 1, 0)))
    with pytest.raises(ForbiddenError):
        import_feed(
            session,
            actor=clerk,
            clock=clock,
            kind=FeedKind.ELECTRICITY,
            header=parsed.header,
            rows=parsed.rows(),
            source="x",
        )
