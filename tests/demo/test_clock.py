"""The demo's movable clock: durations, the stored offset, and the `zhili clock` commands."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhili.cli import app
from zhili.demo.clock import parse_duration

runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2h", timedelta(hours=2)), ("3d", timedelta(days=3)), ("1d 6h 30m", timedelta(days=1, hours=6, minutes=30))],
)
def test_durations_are_days_hours_and_minutes(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "2", "2x", "h2", "2h and 3m"])
def test_anything_else_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_the_clock_commands_move_show_and_reset_the_stored_offset(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite"
    assert runner.invoke(app, ["db", "upgrade"], env={"ZHILI_DATABASE_URL": f"sqlite:///{database}"}).exit_code == 0
    moved = runner.invoke(app, ["clock", "advance", "1d2h", "--database", str(database), "--no-fire"])
    assert moved.exit_code == 0, moved.output
    assert "(+1 day, 2:00:00)" in moved.output
    assert runner.invoke(app, ["clock", "advance", "30m", "--database", str(database), "--no-fire"]).exit_code == 0
    assert "(+1 day, 2:30:00)" in runner.invoke(app, ["clock", "show", "--database", str(database)]).output
    assert runner.invoke(app, ["clock", "reset", "--database", str(database)]).exit_code == 0
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT name, seconds FROM clock_offsets").fetchall() == [("demo", 0.0)]
    refused = runner.invoke(app, ["clock", "advance", "soon", "--database", str(database)])
    assert refused.exit_code == 2
    assert "not a duration" in refused.output
