"""Who a credential belongs to, remembered for a few seconds: token or cookie digest → Actor.

Building the Actor reads the token or session, the account, the person and their posts on every
request. This cache lets one process reuse that answer for `ttl_seconds` (the setting
`ZHILI_ACTOR_CACHE_SECONDS`, 5 by default; 0 turns the cache off).

Staleness bound: a change made in another process (a token revoked or a session closed there, an
account deactivated, a post added or removed) takes effect in this process within `ttl_seconds`.
Revoking a token or logging out through this process takes effect at once (`forget_account`). An
expired token or session is never served from the cache: its expiry is kept with the entry and
checked on every hit against the injected clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from zhili.core.auth import Actor

MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class Resolved:
    """What a credential resolved to: the actor, the session's CSRF token, and until when it is valid."""

    actor: Actor
    csrf_token: str | None
    expires_at: datetime | None


class ActorCache:
    """Digest → Resolved for `ttl_seconds` of monotonic time, bounded to MAX_ENTRIES."""

    def __init__(self, ttl_seconds: float, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._monotonic = monotonic
        self._entries: dict[str, tuple[float, Resolved]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str, now: datetime) -> Resolved | None:
        """The cached answer, if it is younger than the TTL and the credential has not expired."""
        found = self._entries.get(digest)
        if found is None:
            return None
        stored_at, resolved = found
        is_fresh = self._monotonic() - stored_at < self.ttl_seconds
        if not is_fresh or (resolved.expires_at is not None and resolved.expires_at <= now):
            self._entries.pop(digest, None)
            return None
        return resolved

    def put(self, digest: str, resolved: Resolved) -> None:
        """Remember an answer; a full cache starts afresh (entries live seconds, so little is lost)."""
        if self.ttl_seconds <= 0:
            return
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[digest] = (self._monotonic(), resolved)

    def forget_account(self, account_id: int | None) -> None:
        """Drop every answer for an account: its token was revoked or its session closed here."""
        with self._lock:
            stale = [key for key, (_at, found) in self._entries.items() if found.actor.account_id == account_id]
            for key in stale:
                del self._entries[key]
