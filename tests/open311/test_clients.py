"""Open311 clients: administrators register them (the key shown once) and revoke them, from the page and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import Api
from typer.testing import CliRunner

from zhili.cli import app
from zhili.core.audit import AuditRecord
from zhili.core.auth import system_actor
from zhili.core.clock import FrozenClock
from zhili.core.credentials import digest_token
from zhili.core.errors import ConflictError, ForbiddenError
from zhili.core.settings import DEFAULT_SECRET
from zhili.open311 import service
from zhili.open311.models import Open311Client

HTML = {"accept": "text/html"}
runner = CliRunner()


def _form_key(page: str) -> str:
    return page.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]


def _client(session: Session, name: str) -> Open311Client | None:
    return session.scalar(select(Open311Client).where(Open311Client.name == name))


def test_an_administrator_registers_a_client_and_sees_its_key_once(api: Api, session: Session) -> None:
    api.login("admin")
    page = api.get("/admin/open311", headers=HTML)
    assert page.status_code == 200
    assert "Open311 接入" in page.text
    form = {"name": "衢州市民App", "idempotency_key": _form_key(page.text)}
    added = api.send("POST", "/admin/open311", data=form, headers=HTML)
    assert added.status_code == 201
    key = added.text.split('id="new-key">', 1)[1].split("<", 1)[0]
    assert key.startswith("o311_")
    found = _client(session, "衢州市民App")
    assert found is not None
    assert found.key_digest == digest_token(key, secret=DEFAULT_SECRET)
    assert key not in found.key_digest
    again = api.send("POST", "/admin/open311", data=form, headers=HTML, follow_redirects=False)
    assert again.status_code == 303  # the same form: registered once, no key shown again
    assert session.scalar(select(func.count()).where(Open311Client.name == "衢州市民App")) == 1
    listed = api.get("/admin/open311", headers=HTML).text
    assert key not in listed
    assert found.key_hint in listed
    revoked = api.send("POST", f"/admin/open311/{found.id}/revoke", headers=HTML, follow_redirects=False)
    assert revoked.status_code == 303
    session.refresh(found)
    assert not found.is_active
    actions = set(session.scalars(select(AuditRecord.action).where(AuditRecord.entity_type == "open311_client")))
    assert {"open311.client.created", "open311.client.revoked"} <= actions


def test_a_taken_name_is_refused_by_the_field(api: Api, session: Session, clock: FrozenClock) -> None:
    service.create_client(session, name="已有App", actor=system_actor("test"), clock=clock, secret=DEFAULT_SECRET)
    api.login("admin")
    refused = api.send("POST", "/admin/open311", data={"name": "已有App"}, headers=HTML)
    assert refused.status_code == 422
    assert 'data-field="name"' in refused.text
    assert "已有同名的接入应用" in refused.text
    assert 'value="已有App"' in refused.text


def test_only_administrators_manage_clients(api: Api, session: Session, clock: FrozenClock) -> None:
    created = service.create_client(
        session, name="某App", actor=system_actor("test"), clock=clock, secret=DEFAULT_SECRET
    )
    api.login("qz-centre")
    assert api.get("/admin/open311", headers=HTML).status_code == 403
    assert api.send("POST", "/admin/open311", data={"name": "别的App"}, headers=HTML).status_code == 403
    assert api.send("POST", f"/admin/open311/{created.id}/revoke", headers=HTML).status_code == 403
    assert _client(session, "别的App") is None
    found = _client(session, "某App")
    assert found is not None
    assert found.is_active


def test_the_service_refuses_duplicates_and_non_administrators(session: Session, clock: FrozenClock) -> None:
    service.create_client(session, name="重名", actor=system_actor("test"), clock=clock, secret=DEFAULT_SECRET)
    with pytest.raises(ConflictError):
        service.create_client(session, name=" 重名 ", actor=system_actor("test"), clock=clock, secret=DEFAULT_SECRET)
    with pytest.raises(ForbiddenError):
        service.client_for_key(session, "o311_nothing", secret=DEFAULT_SECRET)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "open311.sqlite"
    monkeypatch.setenv("ZHILI_DATABASE_URL", f"sqlite:///{path}")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return path


def test_keys_from_the_command_line(database: Path) -> None:
    created = runner.invoke(app, ["open311", "keys", "create", "热线App"])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert key.startswith("o311_")
    listed = runner.invoke(app, ["open311", "keys", "list"])
    assert listed.exit_code == 0, listed.output
    assert "热线App" in listed.output
    assert "active" in listed.output
    assert key not in listed.output
    again = runner.invoke(app, ["open311", "keys", "create", "热线App"])
    assert again.exit_code == 2
    assert "exists already" in again.output
    revoked = runner.invoke(app, ["open311", "keys", "revoke", "1"])
    assert revoked.exit_code == 0, revoked.output
    assert "revoked" in runner.invoke(app, ["open311", "keys", "list"]).output
    assert runner.invoke(app, ["open311", "keys", "revoke", "99"]).exit_code == 2
