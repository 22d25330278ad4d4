"""Liveness and readiness of an API process: /healthz and /readyz (docs/how-to/deploy.md)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient

from tests.conftest import BACKENDS, migrated_database, postgres_url
from zhili.app import create_app
from zhili.core import migrate
from zhili.core.health import expected_revision
from zhili.core.settings import Settings


def client_for(url: str) -> TestClient:
    return TestClient(create_app(Settings(database_url=url, environment="test")))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_process_on_a_database_at_the_head_is_ready(backend: str, tmp_path: Path) -> None:
    url = migrated_database(backend, tmp_path, "ready")
    with client_for(url) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_a_database_behind_the_code_is_not_ready_and_says_what_to_run(tmp_path: Path) -> None:
    url = migrated_database("sqlite", tmp_path, "behind")
    command.downgrade(migrate.alembic_config(url), "-1")
    with client_for(url) as client:
        assert client.get("/healthz").status_code == 200  # alive: restarting it would not help
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "Service Unavailable"
    assert expected_revision() in problem["detail"]
    assert "zhili db upgrade" in problem["detail"]


def test_a_database_that_does_not_answer_is_not_ready(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-directory' / 'gone.sqlite'}"
    with client_for(url) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "does not answer" in response.json()["detail"]


def test_readiness_does_not_wait_for_a_long_write(tmp_path: Path) -> None:
    url = migrated_database("sqlite", tmp_path, "busy")
    writer = sqlite3.connect(tmp_path / "busy.sqlite", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a write transaction
    try:
        with client_for(url) as client:
            response = client.get("/readyz")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_process_whose_database_does_not_answer_is_not_alive(backend: str, tmp_path: Path) -> None:
    # Liveness asks the database one `SELECT 1` (in autocommit on PostgreSQL: one round trip, no transaction).
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'no-such-directory' / 'gone.sqlite'}"
    else:
        url = postgres_url().rsplit("@", 1)[0] + "@127.0.0.1:1/gone"  # no server listens on port 1
    with client_for(url) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "does not answer" in response.json()["detail"]
