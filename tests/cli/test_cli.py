"""The `zhili` command on a fresh SQLite file: migrate, import, users, audit verify, bad input."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhili import cli
from zhili import worker as worker_module
from zhili.campaigns.dispatch import service as dispatch_service
from zhili.cli import app
from zhili.core.clock import Clock, OffsetClock, SystemClock
from zhili.core.settings import Settings

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.sqlite"
    monkeypatch.setenv("ZHILI_DATABASE_URL", f"sqlite:///{path}")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return path


def test_import_divisions_of_one_city(database: Path) -> None:
    result = runner.invoke(app, ["import", "divisions", "--root", "3308"])
    assert result.exit_code == 0, result.output
    assert "imported 1,772 new divisions under 3308" in result.output
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM divisions WHERE geometry IS NOT NULL").fetchone()[0] == 7


def test_unknown_root_is_a_clear_error(database: Path) -> None:
    result = runner.invoke(app, ["import", "divisions", "--root", "9999"])
    assert result.exit_code == 2
    assert "unknown division code '9999'" in result.output
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM divisions").fetchone()[0] == 0


def test_a_bad_grid_file_is_refused_and_nothing_imported(database: Path, tmp_path: Path) -> None:
    runner.invoke(app, ["import", "divisions", "--root", "3308"])
    bad = tmp_path / "grids.geojson"
    bad.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"village_code": "330825101003", "name": "自相交"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [[119.2, 29.0], [119.21, 29.01], [119.21, 29.0], [119.2, 29.01], [119.2, 29.0]]
                            ],
                        },
                    }
                ],
            }
        )
    )
    result = runner.invoke(app, ["import", "grids", str(bad)])
    assert result.exit_code == 2
    assert "Self-intersection" in result.output
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM divisions WHERE level = 'grid'").fetchone()[0] == 0


def test_users_create_stores_an_argon2_hash(database: Path) -> None:
    result = runner.invoke(app, ["users", "create", "ops", "--admin"], env={"ZHILI_NEW_PASSWORD": "long-password"})
    assert result.exit_code == 0, result.output
    with sqlite3.connect(database) as db:
        stored = db.execute("SELECT password_hash FROM accounts WHERE username = 'ops'").fetchone()[0]
    assert stored.startswith("$argon2id$")
    again = runner.invoke(app, ["users", "create", "ops"], env={"ZHILI_NEW_PASSWORD": "long-password"})
    assert again.exit_code == 2
    assert "is taken" in again.output


def test_audit_verify_passes_then_catches_an_edit(database: Path) -> None:
    runner.invoke(app, ["import", "divisions", "--root", "3308"])
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "audit chain intact" in ok.output
    with sqlite3.connect(database) as db:
        db.execute("UPDATE audit_records SET actor = 'someone-else' WHERE seq = 1")
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "seq 1: content does not match its hash" in broken.output


def test_audit_verify_catches_a_deleted_row(database: Path) -> None:
    runner.invoke(app, ["import", "divisions", "--root", "3308"])
    runner.invoke(app, ["users", "create", "ops", "--admin"], env={"ZHILI_NEW_PASSWORD": "long-password"})
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM audit_records WHERE seq = 1")
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "rows were deleted" in broken.output


def test_demo_builds_a_world_prints_the_logins_and_serves_on_its_movable_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[FastAPI] = []
    monkeypatch.setattr(worker_module, "start_in_thread", lambda _worker: None)
    monkeypatch.setattr(uvicorn, "Server", lambda config: SimpleNamespace(run=lambda: served.append(config.app)))
    # 2,000 firms and 300 cases instead of 20,000 and 10,000: the same path, a tenth of the feeds (enough for a
    # few firms in arrears, whose hotline cases the warnings join; 500 have none) and 3 % of the year's cases
    # (tests/world_cache builds the full world).
    database = str(tmp_path / "demo.sqlite")
    monkeypatch.delenv("ZHILI_PUBLIC_URL", raising=False)
    result = runner.invoke(app, ["demo", "--database", database, "--firms", "2000", "--cases", "300", "--port", "8771"])
    assert result.exit_code == 0, result.output
    assert "4,800 grids" in result.output
    built = re.search(r"([\d,]+) cases", result.output)
    assert built is not None, result.output
    assert 300 < int(built[1].replace(",", "")) < 600  # the year's 300 and the parking pilot's stream
    assert "zhili-demo" in result.output
    assert "kc-traffic" in result.output
    (application,) = served
    assert isinstance(application.state.services.clock, OffsetClock)
    assert application.state.services.settings.public_url == "http://127.0.0.1:8771"  # its links lead to itself


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_operator_commands_use_the_configured_database_and_the_system_clock(
    command: str, database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, Clock]] = []
    real = cli._clock

    def spy(settings: Settings, engine: Engine) -> Clock:
        clock = real(settings, engine)
        seen.append((str(engine.url), clock))
        return clock

    monkeypatch.setattr(cli, "_clock", spy)
    monkeypatch.setattr(uvicorn, "Server", lambda _config: SimpleNamespace(run=lambda: None))
    arguments = ["worker", "--drain"] if command == "worker" else ["serve"]
    assert runner.invoke(app, arguments).exit_code == 0
    (url, clock), *_ = seen
    assert url == f"sqlite:///{database}"
    assert isinstance(clock, SystemClock)
    monkeypatch.setenv("ZHILI_DEMO_CLOCK", "true")
    assert runner.invoke(app, arguments).exit_code == 0
    assert isinstance(seen[-1][1], OffsetClock)


def test_campaigns_dispatch_uses_the_configured_database_and_the_system_clock(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, Clock]] = []

    def spy(session: Session, *, data: object, actor: object, clock: Clock) -> SimpleNamespace:
        seen.append((str(session.get_bind().url), clock))
        return SimpleNamespace(id=1, number="SL2026000001", recipients=0)

    monkeypatch.setattr(dispatch_service, "dispatch_campaign", spy)
    result = runner.invoke(app, ["campaigns", "dispatch", "--template", "typhoon", "--division", "330802"])
    assert result.exit_code == 0, result.output
    ((url, clock),) = seen
    assert url == f"sqlite:///{database}"
    assert isinstance(clock, SystemClock)


def test_import_departments_creates_units_once(database: Path) -> None:
    runner.invoke(app, ["import", "divisions", "--root", "3308"])
    first = runner.invoke(app, ["import", "departments", "--root", "330825"])
    assert first.exit_code == 0, first.output
    with sqlite3.connect(database) as db:
        units = db.execute("SELECT COUNT(*) FROM departments").fetchone()[0]
        names = {row[0] for row in db.execute("SELECT name FROM departments WHERE division_code = '330825101'")}
    assert units > 20
    assert "湖镇镇综合行政执法队" in names
    assert "湖镇镇司法所" in names
    again = runner.invoke(app, ["import", "departments", "--root", "330825"])
    assert again.exit_code == 0
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM departments").fetchone()[0] == units


def test_import_departments_needs_divisions(database: Path) -> None:
    result = runner.invoke(app, ["import", "departments", "--root", "330825"])
    assert result.exit_code == 2
    assert "import its divisions first" in result.output
