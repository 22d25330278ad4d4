"""Webhook endpoints from the pages: an administrator adds, changes, switches off and removes one; others get 403."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import Api

from zhili.notify.models import WebhookEndpoint

HTML = {"accept": "text/html"}
ROBOT = "https://oapi.dingtalk.com/robot/send?access_token=abc123secret"


def _key(page: str) -> str:
    return page.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]


def _endpoint(session: Session, name: str) -> WebhookEndpoint | None:
    return session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.name == name))


def test_an_administrator_adds_a_dingtalk_robot_from_the_page_once(api: Api, session: Session) -> None:
    api.login("admin")
    page = api.get("/admin/webhooks", headers=HTML)
    assert page.status_code == 200
    assert "消息推送" in page.text  # in the admin's menu
    assert "掌上指挥（全部）" in page.text  # topics by their labels
    form = {
        "name": "柯城区指挥群机器人",
        "url": ROBOT,
        "format": "dingtalk_md",
        "secret": "SECabc",
        "topics": ["case.", "command_group."],
        "min_severity": "yellow",
        "is_enabled": "on",
        "idempotency_key": _key(page.text),
    }
    for _ in range(2):  # sent twice: added once
        added = api.send("POST", "/admin/webhooks", data=form, follow_redirects=False)
        assert added.status_code == 303
    found = _endpoint(session, "柯城区指挥群机器人")
    assert found is not None
    assert (found.url, found.secret, found.topics, found.min_severity) == (
        ROBOT,
        "SECabc",
        "case.,command_group.",
        "yellow",
    )
    assert session.scalar(select(func.count()).where(WebhookEndpoint.name == "柯城区指挥群机器人")) == 1
    listed = api.get("/admin/webhooks", headers=HTML).text
    assert "abc123secret" not in listed  # the robot's token is a credential
    assert "https://oapi.dingtalk.com/robot/send?access_token=…cret" in listed  # known by its last four
    for page in (f"/admin/webhooks/{found.id}", "/admin/deliveries", "/admin/audit"):
        shown = api.get(page, headers=HTML).text
        assert "abc123secret" not in shown, page
        assert "access_token=…cret" in shown, page
    assert "SECabc" not in listed
    assert "一件事（全部）、掌上指挥（全部）" in listed


def test_a_refused_endpoint_keeps_its_input_and_names_each_field(api: Api, session: Session) -> None:
    api.login("admin")
    form = {
        "name": "坏地址",
        "url": "ftp://example.org/x",
        "format": "generic",
        "min_severity": "info",
        "secret": "keep-out",
        "topics": ["campaign."],
    }
    refused = api.send("POST", "/admin/webhooks", data=form)
    assert refused.status_code == 422
    assert 'data-field="url">请填写以 http:// 或 https:// 开头的网址' in refused.text
    assert 'value="坏地址"' in refused.text
    assert 'value="ftp://example.org/x"' in refused.text
    assert 'value="campaign." checked' in refused.text
    assert "keep-out" not in refused.text  # a secret is never written back into a page
    assert _endpoint(session, "坏地址") is None
    english = api.send("POST", "/admin/webhooks?lang=en", data={**form, "url": ""})
    assert 'data-field="url">Please fill this in' in english.text


def test_an_endpoint_is_changed_switched_off_and_removed_keeping_its_secret(api: Api, session: Session) -> None:
    api.login("admin")
    form = {
        "name": "测试接收端",
        "url": "https://example.org/hook",
        "format": "generic",
        "min_severity": "info",
        "secret": "s3cret",
        "is_enabled": "on",
    }
    api.send("POST", "/admin/webhooks", data=form)
    found = _endpoint(session, "测试接收端")
    assert found is not None
    page = api.get(f"/admin/webhooks/{found.id}", headers=HTML)
    assert page.status_code == 200
    assert "已设置密钥" in page.text
    changed = api.send(
        "POST",
        f"/admin/webhooks/{found.id}",
        data={"name": "测试接收端", "url": "", "format": "generic", "min_severity": "red", "topics": ["campaign."]},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    session.refresh(found)
    assert (found.url, found.secret, found.min_severity, found.topics) == (
        "https://example.org/hook",
        "s3cret",
        "red",
        "campaign.",
    )
    assert found.is_enabled is False  # the switch left off
    removed = api.send("POST", f"/admin/webhooks/{found.id}/delete", data={}, follow_redirects=False)
    assert removed.status_code == 303
    session.expire_all()
    assert _endpoint(session, "测试接收端") is None


def test_only_administrators_keep_webhooks(api: Api) -> None:
    api.login("kc-centre")
    assert api.get("/admin/webhooks", headers=HTML).status_code == 403
    assert api.send("POST", "/admin/webhooks", data={"name": "x", "url": ROBOT}).status_code == 403
    assert "/admin/webhooks" not in api.get("/", headers=HTML).text
