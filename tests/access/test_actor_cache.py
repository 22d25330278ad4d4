"""The short-lived cache of resolved credentials: its bounds, and revocation through this process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from zhili.access.actor_cache import ActorCache, Resolved
from zhili.core.auth import Actor, Scope

NOW = datetime(2026, 7, 23, 7, 0, tzinfo=UTC)


class Ticker:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.seconds = 100.0

    def __call__(self) -> float:
        return self.seconds


def resolved(account_id: int, expires_at: datetime | None = None) -> Resolved:
    actor = Actor(username=f"u{account_id}", display_name="u", roles=frozenset(), scope=Scope(), account_id=account_id)
    return Resolved(actor=actor, csrf_token=None, expires_at=expires_at)


def test_an_answer_is_reused_only_within_the_ttl() -> None:
    ticker = Ticker()
    cache = ActorCache(5.0, monotonic=ticker)
    cache.put("token:a", resolved(1))
    ticker.seconds += 4.9
    assert cache.get("token:a", NOW) == resolved(1)
    ticker.seconds += 0.2
    assert cache.get("token:a", NOW) is None


def test_an_expired_credential_is_never_served_from_the_cache() -> None:
    cache = ActorCache(5.0, monotonic=Ticker())
    cache.put("token:a", resolved(1, expires_at=NOW + timedelta(seconds=1)))
    assert cache.get("token:a", NOW) is not None
    assert cache.get("token:a", NOW + timedelta(seconds=1)) is None


def test_forgetting_an_account_drops_all_its_credentials_only() -> None:
    cache = ActorCache(5.0, monotonic=Ticker())
    cache.put("token:a", resolved(1))
    cache.put("session:b", resolved(1))
    cache.put("token:c", resolved(2))
    cache.forget_account(1)
    assert cache.get("token:a", NOW) is None
    assert cache.get("session:b", NOW) is None
    assert cache.get("token:c", NOW) is not None


def test_a_ttl_of_zero_turns_the_cache_off() -> None:
    cache = ActorCache(0.0, monotonic=Ticker())
    cache.put("token:a", resolved(1))
    assert cache.get("token:a", NOW) is None


def test_a_token_just_used_and_then_revoked_here_is_refused_at_once(api: Any) -> None:
    api.login("ly-centre")
    created = api.send("POST", "/api/v1/tokens", json={"name": "used-then-revoked"}).json()
    bearer = {"Authorization": f"Bearer {created['token']}"}
    assert api.client.get("/api/v1/me", headers=bearer).status_code == 200
    assert api.send("DELETE", f"/api/v1/tokens/{created['id']}").status_code == 204
    api.client.cookies.clear()
    assert api.client.get("/api/v1/me", headers=bearer).status_code == 401


def test_logging_out_ends_the_session_at_once_though_it_was_just_used(api: Any) -> None:
    api.login("huzhen")
    assert api.get("/api/v1/me").status_code == 200
    cookie = api.client.cookies.get("zhili_session")
    response = api.client.post("/logout", data={"csrf_token": api.csrf}, follow_redirects=False)
    assert response.status_code == 303
    api.client.cookies.set("zhili_session", cookie)
    assert api.get("/api/v1/me").status_code == 401
