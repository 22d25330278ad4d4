"""The monthly run: load the panel, assess the month, store scores and warnings, open or join cases.

`run_month` is what `zhili warnings run --month YYYY-MM` and the demo call. The panel is read
from its packed columns (`feeds.packed`), 36 months up to the month (enough for a firm's
12-month median, the same month last year and the runs before them).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from sqlalchemy.orm import Session, sessionmaker

from zhili.core.clock import Clock
from zhili.core.months import Month
from zhili.early_warning import detector_store
from zhili.early_warning.detect.assess import MonthAssessment, assess
from zhili.early_warning.detect.config import DetectorConfig
from zhili.early_warning.detect.findings import FirmRisk
from zhili.early_warning.explain import finding_text
from zhili.early_warning.feeds.packed import load_panel
from zhili.early_warning.loop import RunSummary, WarningDraft, record_run
from zhili.org.geo import LocatorCache

HISTORY: Final = 36  # months of panel read for one month's run
SHOWN: Final = 5  # findings in a case's description

Progress = Callable[[str], None]
GRADE_ZH: Final = {1: "黄色", 2: "橙色", 3: "红色"}
GRADE_EN: Final = {1: "yellow", 2: "orange", 3: "red"}


def run_month(
    sessions: sessionmaker[Session],
    *,
    month: Month,
    clock: Clock,
    locators: LocatorCache,
    progress: Progress = lambda _text: None,
) -> RunSummary:
    """Score every registered firm in `month` and send the warnings into the loop."""
    started = time.perf_counter()
    with sessions() as session:
        config_id, config = detector_store.current(session, now=clock.now())
        session.commit()
        progress(f"loading {HISTORY} months of feeds up to {month}")
        panel = load_panel(session, month + (1 - HISTORY), month)
    progress(f"scoring {len(panel.firm_ids):,} firms")
    assessment = assess(panel, config, month)
    drafts = drafts_of(assessment, config)
    progress(f"storing {len(drafts):,} warnings and opening cases")
    with sessions() as session:
        return record_run(
            session,
            clock=clock,
            locators=locators,
            month=month,
            config_id=config_id,
            firm_ids=assessment.firm_ids,
            scores=assessment.scores,
            grades=assessment.grades,
            drafts=drafts,
            seconds=time.perf_counter() - started,
            cases_from=config.cases_from,
        )


def drafts_of(assessment: MonthAssessment, config: DetectorConfig) -> list[WarningDraft]:
    """The graded firms as warnings to store: findings with their rule's names, and a summary to read."""
    names = {rule.id: (rule.name_zh, rule.name_en) for rule in config.rules}
    return [_draft(risk, names) for risk in assessment.risks]


def _draft(risk: FirmRisk, names: dict[str, tuple[str, str]]) -> WarningDraft:
    findings = []
    for finding in risk.findings:
        found = finding.to_json()
        if finding.rule_id in names:
            found["name_zh"], found["name_en"] = names[finding.rule_id]
        findings.append(found)
    grade, month, score = int(risk.grade), risk.month, f"{risk.risk:.2f}"
    zh = [f"事前预警（{GRADE_ZH[grade]}，{month}，风险分 {score}）：部门数据联合研判显示该企业存在欠薪风险。"]
    zh += [f"{n}. {finding_text(f, 'zh')}" for n, f in enumerate(findings[:SHOWN], start=1)]
    en = [f"Early warning ({GRADE_EN[grade]}, {month}, risk {score}): department data show a risk of wage arrears."]
    en += [f"{n}. {finding_text(f, 'en')}" for n, f in enumerate(findings[:SHOWN], start=1)]
    return WarningDraft(
        enterprise_id=risk.firm_id,
        score=risk.risk,
        grade=grade,
        findings=findings,
        summary="\n".join(zh),
        summary_en="\n".join(en),
    )
