"""`zhili alerts ingest` and `zhili alerts rules` on a copy of the demo world's SQLite file."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.alerts.helpers import DEMO, IDENTIFIER, LONGYOU, variant
from tests.conftest import World
from zhili.alerts.cap import parse_alert
from zhili.alerts.models import AlertFiring, AlertRecord
from zhili.campaigns.models import Campaign
from zhili.cli import app

runner = CliRunner()


@pytest.fixture
def database(sqlite_world: World, tmp_path: Path) -> Path:
    """A copy of the demo world (with its trigger rules), so the test's writes stay its own."""
    target = tmp_path / "alerts.sqlite"
    source = sqlite_world.url.removeprefix("sqlite:///")
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def test_ingesting_the_demo_warning_dispatches_the_typhoon_campaign_to_longyou(database: Path, tmp_path: Path) -> None:
    example = tmp_path / "typhoon.xml"
    written = runner.invoke(app, ["alerts", "example", "--out", str(example)])
    assert written.exit_code == 0, written.output
    bad = tmp_path / "bad.xml"
    bad.write_bytes(variant(identifier="T-bad", severity="Orange"))
    drill = tmp_path / "drill.xml"
    drill.write_bytes(variant(identifier="T-drill", status="Exercise", sent=datetime.now(UTC)))
    result = runner.invoke(app, ["alerts", "ingest", str(example), str(drill), str(bad), "--database", str(database)])
    output = " ".join(result.output.split())
    assert result.exit_code == 2, output  # one file refused
    assert f"typhoon.xml: alert 1 Alert Actual → {LONGYOU}" in output
    assert "rule 龙游县台风橙色及以上预警: dispatched campaign" in output
    assert "drill.xml: alert 2 Alert Exercise 演练 drill" in output
    assert "rule 龙游县台风橙色及以上预警: drill" in output
    assert "bad.xml: refused (422)" in output
    assert "'Orange' is not one of" in output
    again = runner.invoke(app, ["alerts", "ingest", str(example), "--database", str(database)])
    assert again.exit_code == 0
    assert "already received as alert 1 (active)" in " ".join(again.output.split())
    # The packaged file itself was sent in July, without <expires>: kept, shown as over, and acted on by no rule.
    stale = runner.invoke(app, ["alerts", "ingest", str(DEMO), "--database", str(database)])
    assert stale.exit_code == 0, stale.output
    said = " ".join(stale.output.split())
    assert "no longer in force (expired; sent 2026-07-23 15:00 (UTC+8)): no rule fired" in said
    engine = create_engine(f"sqlite:///{database}")
    with Session(engine) as session:
        assert session.scalar(select(AlertRecord.source).where(AlertRecord.id == 1)) == "cli"
        firing = session.scalars(select(AlertFiring).where(AlertFiring.alert_id == 1)).one()
        campaign = session.get(Campaign, firing.campaign_id)
        assert campaign is not None
        assert (campaign.template_code, campaign.owner_division) == ("typhoon", LONGYOU)
        assert session.scalars(select(AlertFiring).where(AlertFiring.alert_id == 3)).first() is None
    engine.dispose()


def test_the_example_is_the_demo_alert_sent_now_and_reads_as_cap() -> None:
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    printed = runner.invoke(app, ["alerts", "example"])
    assert printed.exit_code == 0, printed.output
    alert = parse_alert(printed.output.encode("utf-8"))
    assert alert.identifier.startswith("33082541600000_")
    assert alert.identifier != IDENTIFIER
    assert before <= alert.sent <= datetime.now(UTC)
    assert alert.sent.utcoffset() is not None
    assert alert.infos[0].event == "台风"
    assert 'xmlns="urn:oasis:names:tc:emergency:cap:1.2"' in printed.output


def test_the_rules_are_listed(database: Path) -> None:
    result = runner.invoke(app, ["alerts", "rules", "--database", str(database)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "龙游县台风橙色及以上预警" in result.output
    assert "330825" in result.output
    assert "typhoon" in result.output
