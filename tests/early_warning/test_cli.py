"""The operator's commands on a fresh SQLite file: register, feeds, the monthly run and the evaluation."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from zhili.cli import app
from zhili.core.months import Month
from zhili.early_warning.indicators import Indicator
from zhili.early_warning.synthetic import FEEDS, SyntheticPanel, SyntheticParams, generate
from zhili.org.credit_code import compose

runner = CliRunner()
LAST = Month.parse("2026-11")
COLUMNS = {  # the CSV columns of three monthly feeds, by the indicator each carries
    "electricity": {"kwh": Indicator.ELECTRICITY_KWH, "bill_arrears_yuan": Indicator.ELECTRICITY_ARREARS},
    "social_insurance": {"insured": Indicator.SI_HEADCOUNT, "arrears_yuan": Indicator.SI_ARREARS},
    "tax": {"declared_yuan": Indicator.TAX_DECLARED, "arrears_yuan": Indicator.TAX_ARREARS},
}


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # rich wraps long lines at the terminal's width


@pytest.fixture(scope="module")
def synthetic() -> SyntheticPanel:
    return generate(SyntheticParams(firms=400, months=36, first=LAST + -35), seed=11)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "warnings.sqlite"
    monkeypatch.setenv("ZHILI_DATABASE_URL", f"sqlite:///{path}")
    invoke("db", "upgrade")
    invoke("import", "divisions", "--root", "3308")
    invoke("import", "departments", "--root", "3308")
    invoke("matters", "reload")
    return path


def write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_register_feeds_run_and_evaluate(database: Path, tmp_path: Path, synthetic: SyntheticPanel) -> None:
    panel, codes = synthetic.panel, synthetic.credit_codes()
    firms = [
        [code, f"企业{row}", "CEFGH"[row % 5], "王某", "地址", str(synthetic.division[row]), "small"]
        for row, code in enumerate(codes)
    ]
    firms.append(["91330802MA2T00000X", "坏代码", "C", "王某", "地址", "330802", "small"])
    header = ["credit_code", "name", "industry", "legal_representative", "address", "division", "size"]
    output = invoke("import", "enterprises", str(write(tmp_path / "firms.csv", header, firms)))
    assert "register: 400 added, 0 updated, 1 refused" in output
    for feed, columns in COLUMNS.items():
        first = next(iter(columns.values()))
        rows = [  # a month the department did not deliver has no row
            [code, str(panel.first + column), *(_cell(panel.values[i][row, column]) for i in columns.values())]
            for row, code in enumerate(codes)
            for column in range(panel.months)
            if not np.isnan(panel.values[first][row, column])
        ]
        rows.append([codes[0], "2026-13", 1, 0])
        file = write(tmp_path / f"{feed}.csv", ["credit_code", "month", *columns], rows)
        output = invoke("import", "feed", feed, str(file), "--rejections", str(tmp_path / f"{feed}-refused.csv"))
        assert f"{feed}: batch" in output
        assert "1 refused" in output
    assert set(FEEDS) >= set(COLUMNS)
    output = invoke("warnings", "run", "--month", str(LAST))
    assert "400 firms scored" in output
    with sqlite3.connect(database) as db:
        warnings, cases = db.execute("SELECT COUNT(*), COUNT(case_id) FROM warnings").fetchone()
        assert db.execute("SELECT COUNT(*) FROM risk_scores").fetchone()[0] == 400
        opened = db.execute("SELECT COUNT(*) FROM cases WHERE channel = 'warning'").fetchone()[0]
    assert warnings > 0
    assert opened == cases  # no firm had an open case to join
    again = invoke("warnings", "run", "--month", str(LAST))
    assert "0 cases opened" in again
    labels = [
        [codes[row], str(month)] for row in range(len(codes)) if (month := synthetic.arrears_on(row)) and month <= LAST
    ]
    file = write(
        tmp_path / "labels.csv",
        ["credit_code", "arrears_month"],
        [*labels, [compose("9", "1", "330802", "MA000001"), "2026-01"]],
    )
    output = invoke("warnings", "evaluate", "--labels", str(file), "--from", "2025-06", "--to", "2026-08")
    assert f"labels: {len(labels)} firms with an arrears month; 1 not in the register" in output
    assert "ours" in output
    assert "Isolation" in output


def test_a_refused_file_exits_2_and_stores_nothing(database: Path, tmp_path: Path) -> None:
    file = write(tmp_path / "bad.csv", ["credit_code", "month", "watts"], [["x", "2026-01", 1]])
    result = runner.invoke(app, ["import", "feed", "electricity", str(file)])
    assert result.exit_code == 2
    assert "unknown columns: watts" in " ".join(result.output.split())
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM feed_batches").fetchone()[0] == 0
    bad_month = runner.invoke(app, ["warnings", "run", "--month", "2026-13"])
    assert bad_month.exit_code == 2


def _cell(value: np.float32) -> object:
    return "" if np.isnan(value) else round(float(value), 2)
