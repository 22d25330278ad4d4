"""A warning says which indicators moved, by how much, since when, and which rule or score fired."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.early_warning.panel_helpers import FIRST, flat_panel
from zhili.early_warning.detect.assess import assess, score_history
from zhili.early_warning.detect.config import DetectorConfig, GradeCutoffs, load_default
from zhili.early_warning.detect.findings import DetectorKind, Finding, FirmRisk
from zhili.early_warning.detect.grades import Grade
from zhili.early_warning.explain import finding_text
from zhili.early_warning.indicators import Indicator
from zhili.early_warning.panel import Panel
from zhili.early_warning.synthetic import SyntheticParams, generate


def _distressed() -> tuple[Panel, DetectorConfig]:
    panel = flat_panel(firms=60, si_arrears=0.0, complaints=0.0)
    panel.values[Indicator.ELECTRICITY_KWH][0, 21:] /= 4  # since 2025-10, three months
    panel.values[Indicator.SI_HEADCOUNT][0, 22:] = 12
    panel.values[Indicator.WAGES_PAID][0, 23] = 40_000
    panel.values[Indicator.SI_ARREARS][0, 23] = 30_000
    config = load_default().model_copy(update={"grades": GradeCutoffs(yellow=0.5, orange=0.8, red=0.95)})
    return panel, config


def test_the_distressed_firm_is_graded_and_explained() -> None:
    panel, config = _distressed()
    month = FIRST + 23
    result = assess(panel, config, month)
    assert result.grade_of(0) >= Grade.ORANGE
    top = result.risks[0]
    assert top.firm_id == 1
    rules = {f.rule_id: f for f in top.findings if f.kind is DetectorKind.RULE}
    electricity = rules["electricity_half_own_median"]
    assert electricity.indicator is Indicator.ELECTRICITY_KWH
    assert str(electricity.since) == "2025-10"
    assert electricity.consecutive_months == 3
    assert electricity.relative_change == pytest.approx(-0.75, abs=0.05)
    assert electricity.current == pytest.approx(electricity.baseline * 0.25, rel=0.1)
    wages = rules["wages_paid_below_due"]
    assert (wages.indicator, wages.per) == (Indicator.WAGES_PAID, Indicator.WAGES_DUE)
    assert wages.current == pytest.approx(0.4)
    assert rules["si_arrears"].current == 30_000
    assert any(f.kind is DetectorKind.CHANGE and f.score is not None and f.score >= 2.5 for f in top.findings)
    assert top.findings[0].kind is DetectorKind.RULE  # rules first, the heaviest on top


def test_steady_firms_are_not_graded() -> None:
    panel, config = _distressed()
    result = assess(panel, config, FIRST + 23)
    assert result.scores.dtype == np.float32
    assert set(np.flatnonzero(result.grades)) == {0}
    assert [risk.firm_id for risk in result.risks] == [1]


def test_the_history_matches_the_months_assessment() -> None:
    panel, config = _distressed()
    history = score_history(panel, config, FIRST + 12, FIRST + 23)
    assert history.shape == (60, 12)
    assert history.dtype == np.float32
    for offset in (0, 11):
        assert np.allclose(history[:, offset], assess(panel, config, FIRST + 12 + offset).scores)


def test_findings_round_trip_through_json() -> None:
    panel, config = _distressed()
    risk = assess(panel, config, FIRST + 23).risks[0]
    text = json.dumps(risk.to_json(), ensure_ascii=False, allow_nan=False)
    again = FirmRisk.from_json(json.loads(text))
    assert again.grade is risk.grade
    assert again.findings == tuple(Finding.from_json(f.to_json()) for f in risk.findings)
    assert [f.rule_id for f in again.findings] == [f.rule_id for f in risk.findings]


def test_a_finding_without_a_baseline_writes_null() -> None:
    finding = Finding(DetectorKind.RULE, "si_arrears", Indicator.SI_ARREARS, None, FIRST, 0.0, 5.0, None, 1)
    data = finding.to_json()
    assert data["relative_change"] is None
    assert data["since"] == "2024-01"
    assert Finding.from_json(json.loads(json.dumps(data, allow_nan=False))) == finding


def test_the_history_is_bit_for_bit_the_months_assessment_on_a_generated_panel() -> None:
    panel = generate(SyntheticParams(firms=800, months=26), seed=2).panel
    config = load_default()
    history = score_history(panel, config, panel.first + 12, panel.last)
    for offset in (0, 7, 13):
        assert np.array_equal(history[:, offset], assess(panel, config, panel.first + 12 + offset).scores)


def test_a_change_from_a_zero_baseline_is_said_without_a_percentage() -> None:
    finding = {"kind": "rule", "indicator": "complaints", "current": 4, "baseline": 0, "relative_change": 7.0}
    text = finding_text({**finding, "name_zh": "投诉举报"}, "zh")
    assert "基准 0" in text
    assert "%" not in text  # "+700%" from nothing says nothing
    assert "+50%" in finding_text({**finding, "baseline": 2, "relative_change": 0.5, "name_zh": "投诉举报"}, "zh")


def test_one_counted_thing_is_singular_in_english() -> None:
    """`Complaints 1 event (baseline 0 events)`, `1 person`: not "1 events"; Chinese has no plural."""
    finding = {"kind": "rule", "indicator": "complaints", "current": 1, "baseline": 0, "name_en": "Complaints"}
    assert "1 event (baseline 0 events)" in finding_text(finding, "en")
    assert "1 件" in finding_text(finding, "zh")
    headcount = {"kind": "rule", "indicator": "si_headcount", "current": 1, "baseline": 2, "name_en": "Headcount"}
    assert "1 person (baseline 2 people" in finding_text(headcount, "en")
    assert "2 events" in finding_text({**finding, "current": 2}, "en")
