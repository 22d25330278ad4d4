"""Early warning of wage arrears: quality on a labelled synthetic panel against a plain baseline, and speed.

Run as ``python benchmarks/bench_warnings.py [--seed N] [--firms N] [--speed-firms N]`` from the project
root. Pure numpy / scikit-learn: no database.

1. **Quality.** `early_warning.synthetic.generate` draws a labelled panel (its parameters and seed are
   printed): 20,000 Quzhou firms over 48 months from 2022-01, about 1.5 % of them a year drifting
   into wage arrears with precursors 1-8 months ahead, seasons (the Spring Festival), harmless dips,
   missing months and late feeds. The default detectors (`early_warning/data/detectors.toml`) score
   every firm-month from the second year on (`judging.judge`, which the CLI's `warnings evaluate`
   also calls). Split by time: the grade
   cut-offs are calibrated on the first scored year (2023) only (`detect.grades.calibrate`, to the
   warning rates below) and every figure is measured on the later months (2024-01 to 2025-12).
   The baseline, in the same run: an Isolation Forest on each month's raw indicator levels across
   firms (`baseline.baseline_scores`), warning at the same rate as ours, its cut-off also set on
   the first year. Figures (`evaluation.evaluate`): precision at a monthly inspection capacity (the
   top 0.5 % of firms a month), recall of arrears events warned in the 3 months before them,
   PR-AUC (average precision) and ROC-AUC of firm-months labelled "arrears within 3 months", the
   median lead time (months from the first warning in the 6 months before an event to the event),
   and warnings per 100,000 firms a month.
   Targets: ROC-AUC >= 0.90, PR-AUC at least twice the baseline's, median lead time >= 2 months.
2. **Speed.** A panel of 100,000 firms x 36 months x 7 indicators (`synthetic.CORE_SEVEN`), in
   memory: `detect.assess.assess` of the last month (features, detectors, grades and the findings of the
   graded firms) and `detect.assess.score_history` of the 24 months that have a year of history. The
   floor, in the same run: one `np.log1p` pass over every value of the panel. Target (issue 12):
   both together well under 5 s (the database load, added by the CLI, gets the rest of 10 s).
3. **End to end** from a database (`end_to_end`): the same panel in a fresh SQLite file, loaded
   columnar and scored for its last month; the target of issue 12 is at most 10 s for all of it.

Figures are printed; a missed target is printed, not failed (exit 1 only on an error).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

if importlib.util.find_spec("zhili") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from zhili.core import migrate
from zhili.core.db import make_engine
from zhili.core.months import Month
from zhili.early_warning import register
from zhili.early_warning.detect.assess import assess, score_history
from zhili.early_warning.detect.config import load_default
from zhili.early_warning.evaluation import Quality
from zhili.early_warning.feeds import store
from zhili.early_warning.feeds.packed import load_panel, store_arrays
from zhili.early_warning.indicators import Indicator
from zhili.early_warning.industries import CODES
from zhili.early_warning.judging import Protocol, judge
from zhili.early_warning.synthetic import CORE_SEVEN, SyntheticPanel, SyntheticParams, generate

RATES = (1_500.0, 500.0, 150.0)  # yellow, orange, red warnings per 100,000 firms a month (on the training year)
CAPACITY_SHARE = 0.005  # inspections a month: 0.5 % of firms
SPEED_TARGET_SECONDS = 5.0
END_TO_END_TARGET_SECONDS = 10.0


def _row(name: str, quality: Quality) -> str:
    return (
        f"  {name:<22} precision@k {quality.precision_at_capacity:6.3f}  recall {quality.recall:6.3f}"
        f"  PR-AUC {quality.pr_auc:6.3f}  ROC-AUC {quality.roc_auc:6.3f}"
        f"  lead {quality.median_lead_months:4.1f} mo  warnings {quality.warnings_per_100k:7.0f} /100k/mo"
    )


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def quality(seed: int, firms: int) -> None:
    """Ours against the baseline on the later months of a generated panel."""
    params = SyntheticParams(firms=firms)
    print(
        f"quality: seed {seed}, {asdict(params) | {'first': str(params.first), 'indicators': len(params.indicators)}}"
    )
    started = time.perf_counter()
    synthetic = generate(params, seed)
    panel = synthetic.panel
    capacity = max(1, round(firms * CAPACITY_SHARE))
    protocol = Protocol(capacity=capacity, tune_months=12, rates=RATES, seed=seed)
    result = judge(panel, load_default(), synthetic.arrears_month, protocol)
    ours, theirs = result.ours, result.baseline
    if theirs is None:
        msg = "the baseline was not run"
        raise RuntimeError(msg)
    (scored_from, _), (test_from, _) = result.scored, result.judged
    train_to, config = test_from + -1, result.config
    rate = (synthetic.arrears_month >= 0).mean() / ((params.months - params.history + params.horizon) / 12)
    print(
        f"  panel: {firms:,} firms x {params.months} months, arrears {rate:.2%} of firms a year;"
        f" tuned on {scored_from}..{train_to}, judged on {test_from}..{panel.last}"
        f" ({ours.events} events, {ours.positives:,} positive of {ours.firm_months:,} firm-months);"
        f" capacity {capacity} a month; cut-offs {config.grades.model_dump()}; {time.perf_counter() - started:.1f} s"
    )
    print(_row("ours", ours))
    print(_row("Isolation Forest", theirs))
    judged = slice(test_from - scored_from, None)
    never = synthetic.arrears_month < 0
    warned = result.warned[:, judged]
    for name, firms_of in (
        ("seasonal firms", never & synthetic.seasonal),
        ("firms with harmless dips", never & ~synthetic.seasonal & (synthetic.harmless_dips > 0)),
        ("other healthy firms", never & ~synthetic.seasonal & (synthetic.harmless_dips == 0)),
    ):
        print(f"  false warnings, {name} ({firms_of.sum():,}): {warned[firms_of].mean() * 100_000:7.0f} /100k/mo")
    ratio = ours.pr_auc / theirs.pr_auc if theirs.pr_auc > 0 else float("inf")
    print(f"  target ROC-AUC >= 0.90: {ours.roc_auc:.3f} {_verdict(ours.roc_auc >= 0.90)}")
    print(f"  target PR-AUC >= 2 x baseline: {ratio:.1f} x {_verdict(ratio >= 2)}")
    print(f"  target median lead >= 2 months: {ours.median_lead_months:.1f} {_verdict(ours.median_lead_months >= 2)}")


def speed(seed: int, firms: int) -> None:
    """In-memory time of a month's assessment and of the score history, against one pass over the data."""
    params = SyntheticParams(firms=firms, months=36, first=Month.of(2023, 1), indicators=CORE_SEVEN)
    panel = generate(params, seed).panel
    config = load_default()
    started = time.perf_counter()
    for values in panel.values.values():
        np.log1p(values)
    floor = time.perf_counter() - started
    started = time.perf_counter()
    month = assess(panel, config, panel.last)
    one_month = time.perf_counter() - started
    started = time.perf_counter()
    score_history(panel, config, panel.first + 12, panel.last)
    history = time.perf_counter() - started
    total = one_month + history
    print(f"speed: {firms:,} firms x {params.months} months x {len(panel.values)} indicators, in memory")
    print(f"  floor (one log1p pass over the panel) {floor:6.3f} s")
    print(f"  assess {panel.last} ({len(month.risks):,} graded)  {one_month:6.3f} s  ({one_month / floor:.0f} x floor)")
    print(f"  score_history {panel.first + 12}..{panel.last}   {history:6.3f} s  ({history / floor:.0f} x floor)")
    print(f"  target both under {SPEED_TARGET_SECONDS:.0f} s: {total:.2f} s {_verdict(total < SPEED_TARGET_SECONDS)}")


def end_to_end(seed: int, firms: int) -> None:
    """From the database: the panel loaded from its packed columns, features, detectors and grades of the last month.

    The same 100,000 x 36 x 7 panel is first written to a fresh SQLite file through the register's and
    the feeds' bulk loads (not timed). The floor, in the same run: one `SELECT COUNT(*)` scan of the
    monthly rows. Target (issue 12): the whole run at most 10 s.
    """
    params = SyntheticParams(firms=firms, months=36, first=Month.of(2023, 1), indicators=CORE_SEVEN)
    synthetic = generate(params, seed)
    panel = synthetic.panel
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='zhili-warnings-')) / 'panel.sqlite'}"
    _write(url, synthetic)
    engine = make_engine(url)
    with Session(engine) as session:
        started = time.perf_counter()
        session.scalar(text("SELECT COUNT(*) FROM firm_months"))
        floor = time.perf_counter() - started
    with Session(engine) as session:
        started, cpu = time.perf_counter(), time.process_time()
        loaded = load_panel(session, panel.first, panel.last, indicators=CORE_SEVEN)
        load_s = time.perf_counter() - started
        month = assess(loaded, load_default(), loaded.last)
        total, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    print(f"end to end from SQLite: {firms:,} firms x {params.months} months x {len(CORE_SEVEN)} indicators")
    print(f"  floor (one COUNT(*) scan of firm_months) {floor:6.3f} s")
    print(f"  load (packed columns)            {load_s:6.3f} s")
    print(f"  features, detectors, grades      {total - load_s:6.3f} s  ({len(month.risks):,} graded)")
    print(f"  whole run {total:.2f} s ({cpu_s:.2f} CPU-s, {total / floor:.0f} x floor)")
    verdict = _verdict(total <= END_TO_END_TARGET_SECONDS)
    print(f"  target at most {END_TO_END_TARGET_SECONDS:.0f} s: {total:.2f} s {verdict}")


def _write(url: str, synthetic: SyntheticPanel) -> None:
    """The synthetic firms and their monthly rows into a fresh database (a bulk load, not timed)."""
    migrate.upgrade(url)
    engine = make_engine(url)
    panel, now = synthetic.panel, datetime.now(UTC)
    codes = synthetic.credit_codes()
    with Session(engine) as session:
        firms = [
            {
                "id": int(firm),
                "credit_code": code,
                "name": f"企业{firm}",
                "industry": CODES[int(section)],
                "legal_representative": "-",
                "address": "-",
                "division_code": str(division),
                "size": "small",
                "registered_at": now,
                "updated_at": now,
            }
            for firm, code, section, division in zip(
                panel.firm_ids, codes, panel.industries, synthetic.division, strict=True
            )
        ]
        register.insert_many(session, firms)
        monthly = [indicator for indicator in CORE_SEVEN if indicator is not Indicator.COMPLAINTS]
        columns = [panel.values[indicator] for indicator in monthly]
        rows = (
            (int(panel.firm_ids[row]), (panel.first + column).index, *(_cell(v[row, column]) for v in columns))
            for row in range(len(panel.firm_ids))
            for column in range(panel.months)
        )
        store.insert_panel(session, ["enterprise_id", "month", *(i.value for i in monthly)], rows)
        for column in range(panel.months):
            packed = {indicator: (panel.firm_ids, panel.values[indicator][:, column]) for indicator in monthly}
            store_arrays(session, panel.first + column, packed)
        session.commit()
    engine.dispose()


def _cell(value: np.float32) -> float | None:
    return None if np.isnan(value) else float(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--firms", type=int, default=20_000)
    parser.add_argument("--speed-firms", type=int, default=100_000)
    args = parser.parse_args()
    quality(args.seed, args.firms)
    speed(args.seed, args.speed_firms)
    end_to_end(args.seed, args.speed_firms)


if __name__ == "__main__":
    main()
