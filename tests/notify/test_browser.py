"""The live inbox in a real headless Chromium: a notification queued elsewhere appears without a reload."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from tests.conftest import World, live_server
from tests.web.test_browser import _login

from zhili.access.models import Account
from zhili.app import create_app
from zhili.core.clock import SystemClock
from zhili.core.settings import Settings
from zhili.notify.inbox import settle_topic
from zhili.notify.kinds import Settled
from zhili.notify.models import InboxItem, Notification, OutboxMessage
from zhili.notify.service import notify
from zhili.org.models import Person

KEY = "browser-test:typhoon"


@pytest.fixture(scope="module")
def server(sqlite_world: World) -> Iterator[str]:
    """The app on a real port over the SQLite demo world, polling its streams often."""
    settings = Settings(environment="test", database_url=sqlite_world.url, notify_stream_poll_seconds=0.2)
    with live_server(create_app(settings, engine=sqlite_world.engine)) as base:
        yield base


@pytest.fixture
def tidy(sqlite_world: World) -> Iterator[Session]:
    """A session on the shared world; what the test notified is removed afterwards."""
    with Session(sqlite_world.engine) as session:
        yield session
        session.rollback()
        ids = select(Notification.id).where(Notification.key.startswith(KEY))
        session.execute(delete(InboxItem).where(InboxItem.notification_id.in_(ids)))
        session.execute(delete(OutboxMessage).where(OutboxMessage.notification_id.in_(ids)))
        session.execute(delete(Notification).where(Notification.key.startswith(KEY)))
        session.commit()


def _tell_partymember(tidy: Session, title: str, body: str, *, severity: str, link: str) -> None:
    """One notice to `partymember`, committed (removed again by `tidy`)."""
    person = tidy.scalars(select(Account.person_id).where(Account.username == "partymember")).one()
    notify(
        tidy,
        recipients=[person],
        topic="campaign.typhoon",
        severity=severity,
        title=title,
        body=body,
        key=KEY,
        clock=SystemClock(),
        link=link,
    )
    tidy.commit()


def test_a_new_notification_appears_live_and_opens_its_page(browser: Any, server: str, tidy: Session) -> None:
    page = _login(browser, server, "partymember")
    page.goto(f"{server}/inbox")
    page.wait_for_selector("#inbox-live-status.ok", timeout=10_000)
    unread = int(page.inner_text("#inbox-unread"))
    _tell_partymember(tidy, "台风防御：今晚走访联系户", "请在20:00前完成走访并回单。", severity="red", link="/cases")
    item = page.wait_for_selector("#inbox-live li.fresh", timeout=10_000)
    item_id = item.get_attribute("data-id")
    assert "台风防御：今晚走访联系户" in item.inner_text()
    assert "红色警示" in item.inner_text()
    page.wait_for_function(f"() => document.getElementById('inbox-unread').textContent === '{unread + 1}'")
    assert page.inner_text("#nav-inbox-badge") == str(unread + 1)
    with page.expect_navigation():
        item.query_selector("button").click()
    assert page.url == f"{server}/cases"
    page.goto(f"{server}/inbox")
    page.wait_for_selector("#inbox-live-status.ok", timeout=10_000)
    assert page.inner_text("#inbox-unread") == str(unread)
    assert page.query_selector(f"#inbox-live li.unread[data-id='{item_id}']") is None
    page.close()


def test_the_menus_count_follows_on_a_page_without_the_live_inbox(browser: Any, server: str, tidy: Session) -> None:
    """On the task list the badge learns of a new notice by itself (polled; here, on coming back to the page)."""
    page = _login(browser, server, "partymember")
    page.goto(f"{server}/tasks")
    page.wait_for_function("() => document.getElementById('nav-inbox-badge').textContent !== ''")
    before = int(page.inner_text("#nav-inbox-badge") or 0)
    _tell_partymember(tidy, "指挥组：新指令，请签收", "排查地下车库", severity="yellow", link="/groups")
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_function(
        f"() => document.getElementById('nav-inbox-badge').textContent === '{before + 1}'", timeout=10_000
    )
    page.close()


def test_a_notice_settled_elsewhere_says_so_on_the_open_inbox(browser: Any, server: str, tidy: Session) -> None:
    """The inbox left open learns that what a notice asked for was called off: read, and by whom, without a reload."""
    page = _login(browser, server, "partymember")
    page.goto(f"{server}/inbox")
    page.wait_for_selector("#inbox-live-status.ok", timeout=10_000)
    person = tidy.scalars(select(Account.person_id).where(Account.username == "partymember")).one()
    notify(
        tidy,
        recipients=[person],
        topic="case.help_requested",
        severity="info",
        title="部门协同待回复",
        body="请协助核查",
        key=KEY,
        clock=SystemClock(),
        subject="case:browser-test",
    )
    tidy.commit()
    item = page.wait_for_selector("#inbox-live li.fresh.unread", timeout=10_000)
    page.wait_for_function("() => document.getElementById('inbox-unread').textContent !== ''")
    centre = tidy.scalars(select(Account.person_id).where(Account.username == "kc-centre")).one()
    name = tidy.scalars(select(Person.name).where(Person.id == centre)).one()
    subject, topic = "case:browser-test", "case.help_requested"
    # as a close does: the request settled and its cancellation told in one commit, the unread count unchanged
    settle_topic(tidy, subject=subject, topic=topic, person_id=centre, at=SystemClock().now(), why=Settled.CANCELLED)
    cancelled = {"topic": "case.help_cancelled", "severity": "info", "title": "协同请求已撤销", "body": "办件已办结"}
    notify(tidy, recipients=[person], **cancelled, key=f"{KEY}:cancelled", clock=SystemClock(), subject=subject)
    tidy.commit()
    page.wait_for_selector(f"#inbox-live li[data-id='{item.get_attribute('data-id')}']:not(.unread) .settled")
    assert item.query_selector(".settled").inner_text() == f"已由{name}取消"
    page.close()
