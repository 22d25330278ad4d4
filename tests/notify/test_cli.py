"""`zhili worker --drain` delivers what is due and exits; `zhili notify send` queues a notification."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import migrated_database
from tests.notify.helpers import webhook_receiver
from typer.testing import CliRunner

from zhili.cli import app
from zhili.core.clock import SystemClock
from zhili.core.db import make_engine
from zhili.notify.models import OutboxMessage, WebhookEndpoint
from zhili.notify.service import notify

runner = CliRunner()


def test_the_worker_drains_the_outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = migrated_database("sqlite", tmp_path, "w")
    monkeypatch.setenv("ZHILI_DATABASE_URL", url)
    engine = make_engine(url)
    with webhook_receiver() as (receiver_url, receiver):
        with Session(engine) as session:
            session.add(
                WebhookEndpoint(
                    name="r",
                    url=receiver_url,
                    format="generic",
                    topics="t.x",  # not the worker's own notices (an unknown calendar year ahead)
                    min_severity="info",
                    is_enabled=True,
                    created_at=SystemClock().now(),
                )
            )
            session.flush()
            for n in range(3):
                notify(
                    session,
                    recipients=[],
                    topic="t.x",
                    severity="info",
                    title="t",
                    body="b",
                    key=f"k{n}",
                    clock=SystemClock(),
                )
            session.commit()
        result = runner.invoke(app, ["worker", "--drain"])
        assert result.exit_code == 0, result.output
        assert "3 items handled" in result.output
        assert len(receiver.requests) == 3
    with Session(engine) as session:
        assert set(session.scalars(select(OutboxMessage.status))) == {"sent"}
    engine.dispose()


def test_notify_send_queues_for_a_division(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = migrated_database("sqlite", tmp_path, "s")
    monkeypatch.setenv("ZHILI_DATABASE_URL", url)
    result = runner.invoke(app, ["notify", "send", "--title", "防台通知", "--division", "330825", "--severity", "red"])
    assert result.exit_code == 0, result.output
    assert "0 inbox items" in result.output  # an empty database: nobody there
    refused = runner.invoke(app, ["notify", "send", "--title", "x"])
    assert refused.exit_code == 2
    assert "--person or --division" in refused.output
