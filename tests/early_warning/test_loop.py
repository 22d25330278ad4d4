"""The loop: a warning opens a 欠薪处置 case routed to the county's labour unit, a new warning joins the open
case and tells its lead, re-runs never double, and the verdict is recorded by those who may judge."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.campaigns.task_helpers import actor_of
from tests.early_warning.helpers import FUSHAN, code, ids_of, register
from zhili.cases.models import Case, CaseEvent
from zhili.core.clock import FrozenClock
from zhili.core.errors import ForbiddenError, NotFoundError
from zhili.core.months import Month
from zhili.early_warning.loop import RunSummary, Verdict, WarningDraft, record_run, record_verdict
from zhili.early_warning.models import EarlyWarning, RiskScore
from zhili.notify.models import InboxItem, Notification
from zhili.notify.wording import body_pieces, joined
from zhili.org.geo import LocatorCache
from zhili.org.models import Department

# The demo world ran 2026-06 (the month before its clock); these tests run the months after it.
JUNE, JULY = Month.parse("2026-07"), Month.parse("2026-08")
SUMMARY = "红色预警：用电量较本企业 12 个月中位数下降 62%（自 2026-04 起）"
SUMMARY_EN = "Red warning: power use 62% below the firm's 12-month median (since 2026-04)"


@pytest.fixture
def firms(session: Session, clock: FrozenClock, locators: LocatorCache) -> list[int]:
    register(session, clock, locators, (1, FUSHAN), (2, FUSHAN))
    return ids_of(session, 1, 2)


def run(  # noqa: PLR0917 - a run's inputs
    session: Session,
    clock: FrozenClock,
    locators: LocatorCache,
    month: Month,
    firms: list[int],
    warned: dict[int, int],
) -> RunSummary:
    ids = np.array(firms, np.int64)
    grades = np.array([warned.get(firm, 0) for firm in firms], np.int8)
    drafts = [
        WarningDraft(
            enterprise_id=firm,
            score=0.9,
            grade=grade,
            findings=[{"rule": "kwh_drop"}],
            summary=SUMMARY,
            summary_en=SUMMARY_EN,
        )
        for firm, grade in warned.items()
    ]
    return record_run(
        session,
        clock=clock,
        locators=locators,
        month=month,
        config_id=_config(session),
        firm_ids=ids,
        scores=grades.astype(np.float32) / 3,
        grades=grades,
        drafts=drafts,
        seconds=0.1,
    )


def _config(session: Session) -> int:
    from zhili.early_warning.models import DetectorConfigVersion  # noqa: PLC0415

    found = session.scalar(select(DetectorConfigVersion.id))
    if found is None:
        from tests.conftest import START  # noqa: PLC0415

        row = DetectorConfigVersion(config={}, note="test", created_at=START, created_by="test")
        session.add(row)
        session.flush()
        return row.id
    return found


def test_a_warning_opens_a_case_for_the_countys_labour_unit(
    session: Session, clock: FrozenClock, locators: LocatorCache, firms: list[int]
) -> None:
    summary = run(session, clock, locators, JUNE, firms, {firms[0]: 3})
    assert (summary.scored, summary.warnings, summary.cases_opened, summary.cases_joined) == (2, 1, 1, 0)
    warning = session.scalars(select(EarlyWarning).where(EarlyWarning.month == JUNE.index)).one()
    assert (warning.grade, warning.month, warning.findings) == (3, JUNE.index, [{"rule": "kwh_drop"}])
    case = session.get_one(Case, warning.case_id)
    assert (case.matter_code, case.channel, case.description) == ("wage_arrears", "warning", SUMMARY)
    assert case.description_en == SUMMARY_EN  # an English page shows it (tests/cases: the page's description)
    # The lead unit's notice quotes the summary in the reader's language.
    notice = session.scalars(select(Notification).where(Notification.subject == f"case:{case.id}")).first()
    assert notice is not None
    assert SUMMARY[:20] in joined(body_pieces(notice.body_parts, "zh") or [])
    english = joined(body_pieces(notice.body_parts, "en") or [])
    assert SUMMARY_EN[:20] in english
    assert "红色预警" not in english
    assert case.place_code == FUSHAN
    unit = session.get_one(Department, case.routed_unit_id)
    assert (unit.kind_code, unit.division_code) == ("hrss", "330802")
    assert case.attributes["credit_code"] == code(1)
    assert session.scalar(select(func.count()).select_from(RiskScore).where(RiskScore.month == JUNE.index)) == 2


def test_a_new_warning_joins_the_open_case_and_tells_its_lead(
    session: Session, clock: FrozenClock, locators: LocatorCache, firms: list[int]
) -> None:
    run(session, clock, locators, JUNE, firms, {firms[0]: 2})
    first = session.scalars(select(EarlyWarning).where(EarlyWarning.month == JUNE.index)).one()
    summary = run(session, clock, locators, JULY, firms, {firms[0]: 3})
    assert (summary.cases_opened, summary.cases_joined) == (0, 1)
    july = session.scalars(select(EarlyWarning).where(EarlyWarning.month == JULY.index)).one()
    assert july.case_id == first.case_id
    kinds = session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == first.case_id).order_by(CaseEvent.seq))
    assert list(kinds)[-1] == "warning_joined"
    told = session.scalar(
        select(func.count())
        .select_from(InboxItem)
        .join(Notification, Notification.id == InboxItem.notification_id)
        .where(Notification.title.contains("新的欠薪预警"))
    )
    assert told  # the lead unit's people


def test_running_a_month_again_neither_doubles_nor_forgets_what_was_acted_on(
    session: Session, clock: FrozenClock, locators: LocatorCache, firms: list[int]
) -> None:
    run(session, clock, locators, JUNE, firms, {firms[0]: 3})
    again = run(session, clock, locators, JUNE, firms, {firms[0]: 3, firms[1]: 1})
    assert (again.cases_opened, again.cases_joined) == (1, 0)  # only the second firm is new
    assert session.scalar(select(func.count()).select_from(EarlyWarning).where(EarlyWarning.month == JUNE.index)) == 2
    run(session, clock, locators, JUNE, firms, {})
    # The first warning opened a case and stays; so does the second (it opened one too).
    assert session.scalar(select(func.count()).select_from(EarlyWarning).where(EarlyWarning.month == JUNE.index)) == 2
    assert session.scalar(select(func.count()).select_from(RiskScore).where(RiskScore.month == JUNE.index)) == 2


def test_the_verdict_is_recorded_by_those_who_may_judge(
    session: Session, clock: FrozenClock, locators: LocatorCache, firms: list[int]
) -> None:
    run(session, clock, locators, JUNE, firms, {firms[0]: 3})
    warning = session.scalars(select(EarlyWarning).where(EarlyWarning.month == JUNE.index)).one()
    judged = record_verdict(
        session,
        actor=actor_of(session, "kc-centre"),
        clock=clock,
        warning_id=warning.id,
        verdict=Verdict.CONFIRMED,
        note="核实拖欠 2 个月工资",
    )
    assert (judged.verdict, judged.verdict_note) == ("confirmed_arrears", "核实拖欠 2 个月工资")
    with pytest.raises(NotFoundError):  # a traffic police strip does not see the register
        record_verdict(
            session,
            actor=actor_of(session, "kc-traffic"),
            clock=clock,
            warning_id=warning.id,
            verdict=Verdict.FALSE_ALARM,
            note="未见异常",
        )
    with pytest.raises(NotFoundError):  # another county's centre does not see 柯城区's firms
        record_verdict(
            session,
            actor=actor_of(session, "ly-centre"),
            clock=clock,
            warning_id=warning.id,
            verdict=Verdict.FALSE_ALARM,
            note="未见异常",
        )
    with pytest.raises(ForbiddenError):  # the township's command room sees the firm but does not judge
        record_verdict(
            session,
            actor=actor_of(session, "fushan"),
            clock=clock,
            warning_id=warning.id,
            verdict=Verdict.FALSE_ALARM,
            note="未见异常",
        )
