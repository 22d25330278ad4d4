"""`zhili matters list | show | reload` on a fresh SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from zhili import cli
from zhili.cli import app

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.sqlite"
    monkeypatch.setenv("ZHILI_DATABASE_URL", f"sqlite:///{path}")
    # Wide enough that no table cell wraps, whatever terminal the tests run in.
    monkeypatch.setattr(cli, "console", Console(width=240))
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return path


def test_reload_loads_the_catalog_once(database: Path) -> None:
    empty = runner.invoke(app, ["matters", "list"])
    assert empty.exit_code == 0, empty.output
    assert "zhili matters reload" in empty.output
    first = runner.invoke(app, ["matters", "reload"])
    assert first.exit_code == 0, first.output
    assert "added: 17" in first.output
    again = runner.invoke(app, ["matters", "reload"])
    assert "added: 0" in again.output
    assert "unchanged: 17" in again.output
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM matter_versions WHERE is_current").fetchone()[0] == 17
        assert (
            db.execute("SELECT COUNT(*) FROM audit_records WHERE action = 'matters.matter.added'").fetchone()[0] == 17
        )


def test_list_and_show(database: Path) -> None:
    runner.invoke(app, ["matters", "reload"])
    listed = runner.invoke(app, ["matters", "list"])
    assert listed.exit_code == 0, listed.output
    assert "Matter catalog: 17 matters" in listed.output
    assert "wage_arrears" in listed.output
    shown = runner.invoke(app, ["matters", "show", "illegal_parking"])
    assert shown.exit_code == 0, shown.output
    for text in (
        "城区机动车违停治理",
        "lead: traffic_police",
        "ENF-PARK-PAVEMENT",
        "plate_number",
        "4 hours",
        "yellow_card",
    ):
        assert text in shown.output, text


def test_show_of_an_unknown_matter_exits_2(database: Path) -> None:
    result = runner.invoke(app, ["matters", "show", "nothing"])
    assert result.exit_code == 2
    assert "matter nothing not found" in result.output
