"""Lead time of confirmed warnings on a small explicit dataset: the warning run's start, the harm, the figures."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from tests.conftest import Api
from tests.early_warning.helpers import ADMIN, FUSHAN, code, csv_of, ids_of, register
from tests.early_warning.test_loop import run
from zhili.core.clock import FrozenClock
from zhili.core.months import Month
from zhili.early_warning import loop
from zhili.early_warning.feeds.csv_text import decode
from zhili.early_warning.feeds.schema import FeedKind
from zhili.early_warning.feeds.service import import_feed
from zhili.early_warning.lead_time import LeadTime, first_harm, lead_time, warning_start
from zhili.early_warning.models import EarlyWarning, Enterprise, RiskScore
from zhili.org.geo import LocatorCache

MAY = Month.parse("2026-05")


def months(*texts: str) -> set[Month]:
    return {Month.parse(text) for text in texts}


def test_the_run_starts_at_the_first_of_its_unbroken_graded_months() -> None:
    assert warning_start(MAY, months("2026-02", "2026-03", "2026-04")) == Month.parse("2026-02")
    assert warning_start(MAY, months("2026-02", "2026-04")) == Month.parse("2026-04")  # 2026-03 breaks the run
    assert warning_start(MAY, set()) == MAY
    long = {MAY + -n for n in range(1, 30)}
    assert warning_start(MAY, long) == MAY + -12  # at most the twelve months of scores kept


def test_the_harm_is_the_first_wage_complaint_or_else_the_check() -> None:
    checked = Month.parse("2026-07")
    assert first_harm(MAY, months("2026-06"), checked) == (Month.parse("2026-06"), True)
    assert first_harm(MAY, months("2026-03"), checked) == (Month.parse("2026-03"), True)  # came before the warning
    assert first_harm(MAY, months("2025-12"), checked) == (checked, False)  # too long before: another episode
    assert first_harm(MAY, months("2026-09"), checked) == (checked, False)  # after the check confirmed it
    assert first_harm(MAY, (), checked) == (checked, False)


def build(session: Session, clock: FrozenClock, locators: LocatorCache) -> list[int]:
    """Four firms warned in 2026-05; three confirmed (leads 5, 2 and -2 months), one a false alarm."""
    register(session, clock, locators, *((n, FUSHAN) for n in (1, 2, 3, 4)))
    firms = ids_of(session, 1, 2, 3, 4)
    summary = run(session, clock, locators, MAY, firms, dict.fromkeys(firms, 2))
    graded = {firms[0]: ("2026-02", "2026-03", "2026-04"), firms[1]: ("2026-02", "2026-04")}
    session.add_all(
        RiskScore(enterprise_id=firm, month=Month.parse(m).index, score=0.5, grade=1, run_id=summary.run_id)
        for firm, texts in graded.items()
        for m in texts
    )
    session.commit()
    rows = (
        (code(2), "wage_complaint", "2026-06-05", "T-1"),
        (code(3), "wage_complaint", "2026-03-10", "T-2"),
        (code(1), "hotline", "2026-05-02", "T-3"),  # not about wages: no harm
    )
    parsed = decode(csv_of(("credit_code", "kind", "date", "reference"), *rows))
    import_feed(
        session,
        actor=ADMIN,
        clock=clock,
        kind=FeedKind.COMPLAINTS,
        header=parsed.header,
        rows=parsed.rows(),
        source="complaints.csv",
    )
    clock.advance(datetime(2026, 7, 30, 2, 0, tzinfo=UTC) - clock.now())  # checked in 2026-07, local time
    warnings = session.scalars(select(EarlyWarning).where(EarlyWarning.enterprise_id.in_(firms))).all()
    for warning in warnings:
        right = warning.enterprise_id != firms[3]
        verdict = loop.Verdict.CONFIRMED if right else loop.Verdict.FALSE_ALARM
        note = None if right else "生产经营正常"  # a false alarm says what checking found
        loop.record_verdict(session, actor=ADMIN, clock=clock, warning_id=warning.id, verdict=verdict, note=note)
    return firms


def test_lead_time_of_the_confirmed_warnings(session: Session, clock: FrozenClock, locators: LocatorCache) -> None:
    firms = build(session, clock, locators)
    lead = lead_time(session, Enterprise.id.in_(firms))
    assert (lead.firms, lead.by_complaint, lead.median_months) == (3, 2, 2.0)
    assert {b.key: b.firms for b in lead.buckets} == {"late": 1, "0": 0, "1": 0, "2": 1, "3": 0, "4-6": 1, "7+": 0}
    assert lead_time(session, Enterprise.id.in_([firms[3]])).firms == 0  # a false alarm has no lead time


def test_the_warnings_page_shows_lead_time_beside_precision(
    api: Api, session: Session, clock: FrozenClock, locators: LocatorCache
) -> None:
    build(session, clock, locators)
    page = api.login("kc-centre").get("/warnings")
    assert page.status_code == 200
    assert 'id="lead-time"' in page.text
    assert "确有欠薪的预警提前量（中位数）" in page.text
    assert "提前量的算法" in page.text
    assert 'data-lead="late"' in page.text
    english = api.get("/warnings?lang=en")
    assert "How lead time is measured" in english.text
    assert "After a complaint" in english.text
    assert "Firms with arrears confirmed: " in english.text  # a count after a colon: no plural to get wrong


def _kpi_lead(session: Session, area: str, first: str, last: str) -> LeadTime:
    """The lead time the KPI page should show, worked out here: warnings of firms in the area in the months."""
    within = and_(
        Enterprise.division_code.startswith(area),
        EarlyWarning.month.between(Month.parse(first).index, Month.parse(last).index),
    )
    return lead_time(session, within)


def _tile(page: str) -> str:
    return page.split('data-kpi="warning_lead"', 1)[1].split("</li>", 1)[0]


def test_the_kpi_page_shows_the_lead_time_of_the_warnings_confirmed_in_its_period(
    api: Api, session: Session, clock: FrozenClock, locators: LocatorCache
) -> None:
    build(session, clock, locators)
    centre = api.login("kc-centre")  # 柯城区
    expected = _kpi_lead(session, "330802", "2026-04", "2026-07")
    assert expected.firms >= 3  # the three confirmed here among the world's own
    tile = _tile(centre.get("/kpis?from=2026-04&to=2026-07").text)
    assert f">{expected.median_months:g} 个月<" in tile
    assert f"（{expected.firms} 家确有欠薪）" in tile
    assert 'href="/warnings#lead-time"' in tile
    fushan = _kpi_lead(session, FUSHAN, "2026-05", "2026-05")
    assert fushan.firms >= 3
    tile = _tile(centre.get(f"/kpis?from=2026-05&to=2026-05&area={FUSHAN}").text)
    assert f"（{fushan.firms} 家确有欠薪）" in tile
    assert f">{fushan.median_months:g} 个月<" in tile
    none = _kpi_lead(session, "330802", "2020-01", "2020-03")
    assert none.firms == 0
    assert ">—<" in _tile(centre.get("/kpis?from=2020-01&to=2020-03").text)
    english = centre.get("/kpis?from=2026-04&to=2026-07&lang=en")
    assert "Warning lead time (median)" in english.text
    assert f"({expected.firms} firms with arrears confirmed)" in english.text
