"""Notification pages: the inbox, opening an item, preferences, and the delivery log for administrators."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import Api
from tests.notify.test_api import empty_inbox, person_of, send

from zhili.core.clock import FrozenClock
from zhili.notify.models import InboxItem, OutboxMessage

HTML = {"accept": "text/html"}


def test_the_inbox_page_lists_my_items_and_opening_one_marks_it_read(
    api: Api, session: Session, clock: FrozenClock
) -> None:
    me = empty_inbox(session, "gridworker")
    send(session, clock, me, 1, title="台风防御：请转移危险区群众", link="/cases")
    assert api.get("/inbox", headers=HTML, follow_redirects=False).status_code in {302, 303, 307}
    api.login("gridworker")
    page = api.get("/inbox", headers=HTML)
    assert page.status_code == 200
    assert "台风防御：请转移危险区群众" in page.text
    assert 'id="inbox-live"' in page.text
    assert 'data-enabled="yes"' in page.text
    assert "Inbox" in api.get("/inbox?lang=en", headers=HTML).text
    item = session.scalars(select(InboxItem).where(InboxItem.person_id == me)).one()
    refused = api.client.post(f"/inbox/{item.id}/open", data={}, headers=HTML, follow_redirects=False)
    assert refused.status_code == 403
    opened = api.client.post(f"/inbox/{item.id}/open", data={"csrf_token": api.csrf}, follow_redirects=False)
    assert (opened.status_code, opened.headers["location"]) == (303, "/cases")
    session.expire_all()
    assert session.get(InboxItem, item.id).read_at == clock.now()  # type: ignore[union-attr]


def test_someone_elses_item_cannot_be_opened(api: Api, session: Session, clock: FrozenClock) -> None:
    other = person_of(session, "gridhead")
    send(session, clock, other, 1)
    item = session.scalars(
        select(InboxItem).where(InboxItem.person_id == other).order_by(InboxItem.id.desc()).limit(1)
    ).one()  # the one just sent (the demo's command groups told the grid head before)
    api.login("gridworker")
    response = api.client.post(f"/inbox/{item.id}/open", data={"csrf_token": api.csrf}, headers=HTML)
    assert response.status_code == 404


def test_preferences_page_saves_and_shows_mistakes(api: Api) -> None:
    api.login("gridworker")
    shown = api.get("/inbox/preferences", headers=HTML).text
    assert '<input type="time" step="60" name="sms_quiet_start" value=""' in shown, "a time picker, not a text box"
    form = {
        "csrf_token": api.csrf,
        "email_enabled": "on",
        "email_min_severity": "info",
        "sms_enabled": "on",
        "sms_min_severity": "yellow",
        "sms_quiet_start": "22:00",
        "sms_quiet_end": "07:00",
    }
    saved = api.client.post("/inbox/preferences", data=form, follow_redirects=False)
    assert (saved.status_code, saved.headers["location"]) == (303, "/inbox/preferences?saved=1")
    assert api.get("/api/v1/notify/preferences").json()[1]["quiet_start"] == "22:00"
    # Refused: the page in its language, each reason by its input, what was typed kept (not what is on record).
    wrong = api.client.post(
        "/inbox/preferences", data={**form, "sms_quiet_start": "21:30", "sms_quiet_end": ""}, headers=HTML
    )
    assert wrong.status_code == 422
    assert "quiet" not in wrong.text.split('id="errors"', 1)[1].split("</div>", 1)[0]  # no code, no English
    assert 'data-field="sms_quiet_end">请同时填写开始和结束时间，且二者不同</span>' in wrong.text
    assert '<input type="time" step="60" name="sms_quiet_start" value="21:30"' in wrong.text
    malformed = api.client.post("/inbox/preferences", data={**form, "email_quiet_start": "25:99"}, headers=HTML)
    assert malformed.status_code == 422
    assert 'data-field="email_quiet_start">格式不正确</span>' in malformed.text
    assert 'name="email_quiet_start" value="25:99"' in malformed.text
    same = api.client.post("/inbox/preferences", data={**form, "sms_quiet_end": "22:00"}, headers=HTML)
    assert same.status_code == 422, "a quiet time that starts when it ends is refused"
    assert 'data-field="sms_quiet_end">请同时填写开始和结束时间，且二者不同</span>' in same.text
    assert 'name="sms_quiet_end" value="22:00"' in same.text
    assert api.get("/api/v1/notify/preferences").json()[1]["quiet_start"] == "22:00"  # nothing saved


def test_the_delivery_log_pages_are_for_administrators(api: Api, session: Session, clock: FrozenClock) -> None:
    me = person_of(session, "gridworker")
    send(session, clock, me, 1, severity="red")
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.person_id == me)).one()
    api.login("gridworker")
    assert api.get("/admin/deliveries", headers=HTML).status_code == 403
    api.login("admin")
    log = api.get("/admin/deliveries?channel=sms", headers=HTML)
    assert log.status_code == 200
    assert f'href="/admin/deliveries/{message.id}"' in log.text
    filters = log.text.split('id="delivery-filters"', 1)[1].split("</form>", 1)[0]
    assert "<label>渠道" in filters  # each filter says what it narrows
    assert "<label>状态" in filters
    assert "廖梅 · <span" in log.text  # whom the message is for, by name, beside the number
    message.status, message.last_error = "dead", "ConnectionRefusedError: [Errno 111] Connection refused"
    session.commit()
    failed = api.get("/admin/deliveries?status=dead", headers=HTML).text
    assert '<strong class="failure-kind" data-kind="unreachable">无法连接对方</strong>' in failed  # words first
    assert "Connection refused</span>" in failed  # then the receiver's own
    detail = api.get(f"/admin/deliveries/{message.id}", headers=HTML)
    assert "廖梅 · <span" in detail.text
    assert "催办 1" in detail.text  # the message is named by its title (its key is for machines)
    retried = api.client.post(
        f"/admin/deliveries/{message.id}/retry", data={"csrf_token": api.csrf}, follow_redirects=False
    )
    assert retried.status_code == 303
    session.expire_all()
    assert session.get(OutboxMessage, message.id).status == "pending"  # type: ignore[union-attr]


def test_a_login_without_a_person_is_not_offered_preferences_it_cannot_have(api: Api) -> None:
    api.login("admin")  # the administrator's login names no person: no preferences, a 404 behind the link
    inbox = api.get("/inbox", headers=HTML)
    assert inbox.status_code == 200
    assert 'href="/inbox/preferences"' not in inbox.text
    assert 'href="/inbox/preferences"' in api.login("fushan").get("/inbox", headers=HTML).text
