"""Logins, sessions, tokens and their refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.access.models import Account, ApiToken, LoginSession
from zhili.access.service import authenticate, create_account
from zhili.core.auth import system_actor
from zhili.core.clock import FrozenClock
from zhili.core.credentials import digest_token, hash_password
from zhili.core.errors import NotAuthenticatedError
from zhili.core.settings import DEFAULT_SECRET


def _login_form(client: TestClient) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    return page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_passwords_are_stored_as_argon2_hashes(session: Session) -> None:
    account = session.scalars(select(Account).where(Account.username == "huzhen")).one()
    assert account.password_hash.startswith("$argon2id$")
    assert "zhili-demo" not in account.password_hash


def test_an_account_given_a_hash_made_already_logs_in_with_its_password(session: Session, clock: FrozenClock) -> None:
    hashed = hash_password("shared-password")
    for username in ("shared-one", "shared-two"):
        made = create_account(
            session,
            username=username,
            password="shared-password",
            person_id=None,
            is_admin=False,
            actor=system_actor("test"),
            clock=clock,
            hashed=hashed,
        )
        assert made.password_hash == hashed
        assert authenticate(session, username=username, password="shared-password", client="test", clock=clock)
        with pytest.raises(NotAuthenticatedError):
            authenticate(session, username=username, password="wrong-password", client="test", clock=clock)


def test_wrong_password_is_refused_without_a_session(app_client: TestClient, session: Session) -> None:
    token = _login_form(app_client)
    before = session.query(LoginSession).count()
    response = app_client.post(
        "/login", data={"username": "huzhen", "password": "wrong-password", "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert 'name="username" autocomplete="username" required value="huzhen">' in response.text  # kept, to retry
    assert "wrong-password" not in response.text  # the password never comes back
    assert "zhili_session" not in response.cookies
    assert session.query(LoginSession).count() == before


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(app_client: TestClient) -> None:
    token = _login_form(app_client)
    response = app_client.post("/login", data={"username": "nobody", "password": "x" * 10, "csrf_token": token})
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text


def test_login_without_the_form_token_is_refused(app_client: TestClient) -> None:
    _login_form(app_client)
    response = app_client.post(
        "/login",
        data={"username": "huzhen", "password": "zhili-demo", "csrf_token": "forged"},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 403


def test_login_sets_a_session_whose_token_is_stored_only_as_a_digest(app_client: TestClient, session: Session) -> None:
    token = _login_form(app_client)
    response = app_client.post(
        "/login",
        data={"username": "huzhen", "password": "zhili-demo", "csrf_token": token, "next": "//evil.example/steal"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.cookies["zhili_session"]
    stored = session.scalars(
        select(LoginSession).where(LoginSession.token_digest == digest_token(cookie, secret=DEFAULT_SECRET))
    ).one()
    assert stored.token_digest != cookie
    assert app_client.get("/api/v1/me").json()["username"] == "huzhen"


def test_logout_ends_the_session(api: Any) -> None:
    api.login("huzhen")
    response = api.client.post("/logout", data={"csrf_token": api.csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert api.get("/api/v1/me").status_code == 401


def test_a_session_lapses_after_its_age_and_a_new_login_opens_another(api: Any, clock: Any) -> None:
    """The login form's session lives `session_max_age_seconds` (12 hours); the tests' own demo sessions live longer."""
    api.login("huzhen", fresh=True)
    assert api.get("/api/v1/me").status_code == 200
    clock.advance(timedelta(hours=12, seconds=1))
    assert api.get("/api/v1/me").status_code == 401
    page = api.get("/cases", headers={"accept": "text/html"}, follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/cases")
    api.login("huzhen", fresh=True)
    assert api.get("/api/v1/me").json()["username"] == "huzhen"


def test_pages_redirect_to_login_and_back(app_client: TestClient) -> None:
    response = app_client.get("/org/divisions/330825", headers={"accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/org/divisions/330825"


def test_api_tokens_work_and_are_hashed_at_rest(api: Any, session: Session) -> None:
    api.login("ly-centre")
    created = api.send("POST", "/api/v1/tokens", json={"name": "script", "days": 30})
    assert created.status_code == 201
    token = created.json()["token"]
    stored = session.scalars(select(ApiToken).where(ApiToken.name == "script")).one()
    assert stored.token_digest == digest_token(token, secret=DEFAULT_SECRET) != token
    api.client.cookies.clear()
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["scope"] == ["330825"]
    assert me.json()["manages"] == ["330825"]
    bad = api.client.get("/api/v1/me", headers={"Authorization": "Bearer zl_not-a-token"})
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"] == "Bearer"


def test_expired_tokens_are_refused(api: Any, clock: Any) -> None:
    api.login("ly-centre")
    token = api.send("POST", "/api/v1/tokens", json={"name": "short", "days": 1}).json()["token"]
    clock.advance(timedelta(days=2))
    api.client.cookies.clear()
    assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_token_writes_need_no_csrf_token(api: Any, session: Session) -> None:
    api.login("huzhen")
    token = api.send("POST", "/api/v1/tokens", json={"name": "bot"}).json()["token"]
    api.client.cookies.clear()
    response = api.client.patch(
        "/api/v1/org/people/999999", json={"name": "x"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 404


def test_a_token_cannot_issue_tokens(api: Any) -> None:
    api.login("ly-centre")
    token = api.send("POST", "/api/v1/tokens", json={"name": "first"}).json()["token"]
    api.client.cookies.clear()
    response = api.client.post("/api/v1/tokens", json={"name": "second"}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_tokens_live_at_most_a_year(api: Any) -> None:
    api.login("ly-centre")
    assert api.send("POST", "/api/v1/tokens", json={"name": "forever", "days": None}).status_code == 422
    assert api.send("POST", "/api/v1/tokens", json={"name": "long", "days": 366}).status_code == 422


def test_a_revoked_token_stops_working_and_others_cannot_revoke_it(api: Any) -> None:
    api.login("ly-centre")
    created = api.send("POST", "/api/v1/tokens", json={"name": "to-revoke"}).json()
    listed = api.get("/api/v1/tokens").json()
    assert [t["name"] for t in listed if t["id"] == created["id"]] == ["to-revoke"]
    assert "token" not in listed[0]
    api.login("huzhen")
    assert api.send("DELETE", f"/api/v1/tokens/{created['id']}").status_code == 404
    api.login("ly-centre")
    assert api.send("DELETE", f"/api/v1/tokens/{created['id']}").status_code == 204
    api.client.cookies.clear()
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {created['token']}"})
    assert me.status_code == 401


def test_password_guessing_is_slowed_down(app_client: TestClient, clock: Any) -> None:
    for _ in range(10):
        token = _login_form(app_client)
        wrong = app_client.post("/login", data={"username": "huzhen", "password": "guess-guess", "csrf_token": token})
        assert wrong.status_code == 401
    token = _login_form(app_client)
    right = app_client.post(
        "/login",
        data={"username": "huzhen", "password": "zhili-demo", "csrf_token": token},
        headers={"accept": "application/json"},
    )
    assert right.status_code == 429
    assert "too many failed logins" in right.json()["detail"]
    other = _login_form(app_client)
    fine = app_client.post(
        "/login", data={"username": "fushan", "password": "zhili-demo", "csrf_token": other}, follow_redirects=False
    )
    assert fine.status_code == 303
    clock.advance(timedelta(minutes=16))
    token = _login_form(app_client)
    later = app_client.post(
        "/login", data={"username": "huzhen", "password": "zhili-demo", "csrf_token": token}, follow_redirects=False
    )
    assert later.status_code == 303
