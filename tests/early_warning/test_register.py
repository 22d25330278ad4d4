"""The enterprise register: firms placed in the organisation, updated by credit code, bad rows refused."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.early_warning.helpers import ADMIN, FUSHAN, code, csv_of, register
from zhili.core.clock import FrozenClock
from zhili.early_warning.feeds.csv_text import decode
from zhili.early_warning.models import Enterprise
from zhili.early_warning.register import register_enterprises
from zhili.org.geo import LocatorCache

HEADER = (
    "credit_code",
    "name",
    "industry",
    "legal_representative",
    "address",
    "division",
    "lon",
    "lat",
    "size",
    "employees",
)


def test_firms_are_placed_by_point_code_or_name(session: Session, clock: FrozenClock, locators: LocatorCache) -> None:
    data = csv_of(
        HEADER,
        (code(1), "衢州市恒达机械有限公司", "C", "王建国", "县学街18号", None, 118.8705, 28.9365, "small", 45),
        (code(2), "顺发建筑劳务", "E", "李明", "府山街道", FUSHAN, None, None, "micro", None),
        (code(3), "湖镇食品厂", "C", "张华", "湖镇", "龙游县湖镇镇", None, None, "small", 30),
    )
    parsed = decode(data)
    report = register_enterprises(
        session, actor=ADMIN, clock=clock, locators=locators, header=parsed.header, rows=parsed.rows(), source="r.csv"
    )
    assert (report.added, report.updated, report.rejected) == (3, 0, ())
    mine = select(Enterprise).where(Enterprise.credit_code.in_([code(1), code(2), code(3)]))
    placed = {e.name: (e.division_code, e.grid_code) for e in session.scalars(mine)}
    by_point = placed["衢州市恒达机械有限公司"]
    assert by_point[0].startswith("330802")  # somewhere in 柯城区, down to its grid
    assert by_point[1] == by_point[0]
    assert placed["顺发建筑劳务"] == (FUSHAN, None)
    assert placed["湖镇食品厂"] == ("330825101", None)


def test_a_second_import_updates_by_credit_code(session: Session, clock: FrozenClock, locators: LocatorCache) -> None:
    register(session, clock, locators, (1, FUSHAN))
    report = register(session, clock, locators, (1, "330825101"), (2, FUSHAN))
    assert (report.added, report.updated) == (1, 1)
    moved = session.scalars(select(Enterprise).where(Enterprise.credit_code == code(1))).one()
    assert moved.division_code == "330825101"


def test_rows_that_cannot_be_placed_or_checked_are_refused(
    session: Session, clock: FrozenClock, locators: LocatorCache
) -> None:
    data = csv_of(
        HEADER,
        (code(1)[:-1] + "0", "坏代码", "C", "甲", "某地", FUSHAN, None, None, "small", 1),
        (code(2), "无处", "C", "乙", "某地", None, None, None, "small", 1),
        (code(3), "没有的区划", "C", "丙", "某地", "330802999", None, None, "small", 1),
        (code(4), "没有的行业", "Z", "丁", "某地", FUSHAN, None, None, "small", 1),
        (code(5), "海上", "C", "戊", "某地", None, 150.0, 10.0, "small", 1),
        (code(6), "好的", "C", "己", "某地", FUSHAN, None, None, "small", 1),
        (code(6), "重复", "C", "己", "某地", FUSHAN, None, None, "small", 1),
    )
    parsed = decode(data)
    report = register_enterprises(
        session, actor=ADMIN, clock=clock, locators=locators, header=parsed.header, rows=parsed.rows(), source="r.csv"
    )
    assert report.added == 1
    assert [(r.line, r.column) for r in report.rejected] == [
        (2, "credit_code"),
        (3, "division"),
        (4, "division"),
        (5, "industry"),
        (6, "lon"),
        (8, "credit_code"),
    ]
