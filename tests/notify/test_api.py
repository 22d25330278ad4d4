"""The notification API: my inbox (only mine), preferences, the delivery log and webhooks (administrators only)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from tests.buffered_client import BufferedTestClient
from tests.conftest import Api, World

from zhili.access.models import Account
from zhili.app import create_app
from zhili.core.audit import AuditRecord
from zhili.core.clock import FrozenClock
from zhili.core.settings import Settings
from zhili.notify.models import InboxItem, OutboxMessage
from zhili.notify.service import notify


def person_of(session: Session, username: str) -> int:
    person = session.scalars(select(Account.person_id).where(Account.username == username)).one()
    assert person is not None
    return person


def empty_inbox(session: Session, username: str) -> int:
    """The login's person, their inbox emptied first (the demo world already told them of its live campaign)."""
    person = person_of(session, username)
    session.execute(delete(InboxItem).where(InboxItem.person_id == person))
    session.commit()
    return person


def send(session: Session, clock: FrozenClock, person: int, n: int, **extra: Any) -> None:
    values = {"topic": "case.urge", "severity": "yellow", "title": f"催办 {n}", "body": "请签收", "link": "/cases"}
    notify(session, recipients=[person], key=f"api-test:{person}:{n}", clock=clock, **{**values, **extra})
    session.commit()


def test_my_inbox_is_mine_newest_first_paged_and_marked_read(api: Api, session: Session, clock: FrozenClock) -> None:
    me, other = empty_inbox(session, "gridworker"), empty_inbox(session, "gridhead")
    for n in range(3):
        send(session, clock, me, n)
    send(session, clock, other, 9)
    api.login("gridworker")
    page = api.get("/api/v1/inbox", params={"limit": 2}).json()
    assert [item["title"] for item in page["items"]] == ["催办 2", "催办 1"]
    rest = api.get("/api/v1/inbox", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [item["title"] for item in rest["items"]] == ["催办 0"]
    assert rest["next_cursor"] is None
    assert api.get("/api/v1/inbox/unread-count").json() == {"unread": 3}

    first = page["items"][0]
    read = api.send("POST", f"/api/v1/inbox/{first['id']}/read")
    assert read.status_code == 200
    assert read.json()["read_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert [i["title"] for i in api.get("/api/v1/inbox", params={"unread": True}).json()["items"]] == [
        "催办 1",
        "催办 0",
    ]

    api.login("gridhead")
    theirs = api.get("/api/v1/inbox").json()["items"]
    assert [i["title"] for i in theirs] == ["催办 9"]
    api.login("gridworker")
    assert api.send("POST", f"/api/v1/inbox/{theirs[0]['id']}/read").status_code == 404
    assert api.send("POST", "/api/v1/inbox/read-all").json() == {"marked": 2}
    assert api.get("/api/v1/inbox/unread-count").json() == {"unread": 0}


def test_a_login_without_a_person_has_an_empty_inbox_and_no_stream(api: Api) -> None:
    api.login("admin")
    assert api.get("/api/v1/inbox").json() == {"items": [], "next_cursor": None}
    assert api.get("/api/v1/inbox/stream").status_code == 404
    assert api.get("/api/v1/notify/preferences").status_code == 404


def test_the_inbox_needs_a_login_and_the_csrf_token(api: Api, session: Session, clock: FrozenClock) -> None:
    me = person_of(session, "gridworker")
    send(session, clock, me, 1)
    assert api.get("/api/v1/inbox").status_code == 401
    api.login("gridworker")
    item = api.get("/api/v1/inbox").json()["items"][0]
    assert api.client.post(f"/api/v1/inbox/{item['id']}/read").status_code == 403


def test_preferences_default_then_change_with_quiet_hours(api: Api, session: Session) -> None:
    api.login("gridworker")
    defaults = api.get("/api/v1/notify/preferences").json()
    assert [(p["channel"], p["is_enabled"], p["min_severity"], p["is_default"]) for p in defaults] == [
        ("email", True, "info", True),
        ("sms", True, "red", True),
    ]
    assert "****" in defaults[1]["destination"]
    body = {"channels": [{"channel": "sms", "min_severity": "yellow", "quiet_start": "22:00", "quiet_end": "07:00"}]}
    changed = api.send("PUT", "/api/v1/notify/preferences", json=body)
    assert changed.status_code == 200, changed.text
    sms = changed.json()[1]
    assert (sms["min_severity"], sms["quiet_start"], sms["quiet_end"], sms["is_default"]) == (
        "yellow",
        "22:00",
        "07:00",
        False,
    )
    assert api.get("/api/v1/notify/preferences").json()[1] == sms
    record = session.scalars(select(AuditRecord).where(AuditRecord.action == "notify.preferences.changed")).one()
    assert record.entity_id == str(person_of(session, "gridworker"))


@pytest.mark.parametrize(
    "channel",
    [
        {"channel": "sms", "quiet_start": "22:00"},
        {"channel": "sms", "quiet_start": "25:00", "quiet_end": "07:00"},
        {"channel": "sms", "quiet_start": "07:00", "quiet_end": "07:00"},
        {"channel": "pigeon"},
        {"channel": "email", "min_severity": "purple"},
    ],
)
def test_bad_preferences_are_422_problems(api: Api, channel: dict[str, Any]) -> None:
    api.login("gridworker")
    response = api.send("PUT", "/api/v1/notify/preferences", json={"channels": [channel]})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_the_delivery_log_is_for_administrators(api: Api, session: Session, clock: FrozenClock) -> None:
    me = person_of(session, "gridworker")
    send(session, clock, me, 1, severity="red")
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.person_id == me)).one()
    api.login("gridworker")
    assert api.get("/api/v1/notify/deliveries").status_code == 403
    assert api.get(f"/api/v1/notify/deliveries/{message.id}").status_code == 403
    assert api.send("POST", f"/api/v1/notify/deliveries/{message.id}/retry").status_code == 403
    api.login("admin")
    log = api.get("/api/v1/notify/deliveries", params={"channel": "sms", "status": "pending"}).json()
    assert message.id in [d["id"] for d in log["items"]]
    assert api.get("/api/v1/notify/deliveries", params={"status": "sent", "channel": "sms"}).json()["items"] == []
    detail = api.get(f"/api/v1/notify/deliveries/{message.id}").json()
    assert (detail["message_key"], detail["log"]) == (f"api-test:{me}:1:sms:{me}", [])
    assert api.send("POST", f"/api/v1/notify/deliveries/{message.id}/retry").status_code == 409
    message.status = "dead"
    session.commit()
    assert api.send("POST", f"/api/v1/notify/deliveries/{message.id}/retry").json()["status"] == "pending"
    assert api.get("/api/v1/notify/deliveries/2147483647").status_code == 404
    assert api.get("/api/v1/notify/deliveries", params={"status": "lost"}).status_code == 422


def test_webhooks_are_kept_by_administrators_and_the_secret_never_comes_back(api: Api) -> None:
    body = {
        "name": "县指挥中心钉钉群",
        "url": "https://oapi.dingtalk.com/robot/send?access_token=abc123",
        "format": "dingtalk_md",
        "secret": "SECabcdef",
        "topics": "case.",
        "min_severity": "yellow",
    }
    api.login("kc-centre")
    assert api.send("POST", "/api/v1/notify/webhooks", json=body).status_code == 403
    assert api.get("/api/v1/notify/webhooks").status_code == 403
    api.login("admin")
    created = api.send("POST", "/api/v1/notify/webhooks", json=body, headers={"Idempotency-Key": "hook-1"})
    assert created.status_code == 201, created.text
    hook = created.json()
    assert "secret" not in hook
    assert hook["has_secret"] is True
    assert hook["url"] == "https://oapi.dingtalk.com/robot/send?access_token=…"  # a short token: wholly hidden
    again = api.send("POST", "/api/v1/notify/webhooks", json=body, headers={"Idempotency-Key": "hook-1"})
    assert again.json() == hook
    assert again.headers["Idempotent-Replayed"] == "true"
    assert api.send("POST", "/api/v1/notify/webhooks", json=body).status_code == 409  # same name
    assert "SECabcdef" not in api.get("/api/v1/notify/webhooks").text
    changed = api.send(
        "PATCH", f"/api/v1/notify/webhooks/{hook['id']}", json={"clear_secret": True, "is_enabled": False}
    )
    assert (changed.json()["has_secret"], changed.json()["is_enabled"]) == (False, False)
    assert api.send("DELETE", f"/api/v1/notify/webhooks/{hook['id']}").status_code == 204
    assert api.get(f"/api/v1/notify/webhooks/{hook['id']}").status_code == 404
    bad = api.send("POST", "/api/v1/notify/webhooks", json={**body, "name": "x", "url": "ftp://nope"})
    assert bad.status_code == 422


@pytest.fixture
def quick_stream_client(world: World, sessions: sessionmaker[Session], clock: FrozenClock) -> Iterator[TestClient]:
    """A client whose event streams end after a moment, so the test can read them whole."""
    settings = Settings(
        environment="test", database_url=world.url, notify_stream_seconds=0.3, notify_stream_poll_seconds=0.05
    )
    app = create_app(settings, clock=clock, engine=world.engine)
    app.state.services.sessions = sessions
    app.state.services.read_sessions = sessions
    with BufferedTestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_the_stream_sends_new_items_and_the_unread_count(
    quick_stream_client: TestClient, session: Session, clock: FrozenClock
) -> None:
    me = empty_inbox(session, "gridworker")
    api = Api(quick_stream_client).login("gridworker")
    for n in range(2):
        send(session, clock, me, n)
    ids = [item["id"] for item in api.get("/api/v1/inbox").json()["items"]]
    response = api.get("/api/v1/inbox/stream", params={"after": min(ids) - 1})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    text = response.text
    assert text.startswith("retry: 3000")
    assert text.count("event: notification") == 2
    assert f"id: {max(ids)}\nevent: notification" in text
    assert 'event: unread\ndata: {"unread": 2}' in text
    resumed = api.get("/api/v1/inbox/stream", headers={"Last-Event-ID": str(min(ids))})
    assert resumed.text.count("event: notification") == 1
    assert "event: notification" not in api.get("/api/v1/inbox/stream").text  # from now on: nothing new yet
