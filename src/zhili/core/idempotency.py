"""Idempotency keys: a retried creating POST returns the first response instead of acting twice."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from zhili.core.db import Base, UtcDateTime, deferred_commit
from zhili.core.errors import ConflictError, InvalidInputError

MAX_KEY_LENGTH = 200


class IdempotencyRecord(Base):
    """The stored outcome of one keyed request, per caller."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("owner", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


RETENTION = timedelta(days=30)
"""How long a key answers a retry: far longer than any client retries, short enough not to keep every form."""
FORGET_BATCH = 5_000


def forget_old(session: Session, *, now: datetime, batch: int = FORGET_BATCH) -> int:
    """Forget up to `batch` keys older than `RETENTION`, oldest first, in one statement; the number forgotten."""
    oldest = (
        select(IdempotencyRecord.id)
        .where(IdempotencyRecord.created_at < now - RETENTION)
        .order_by(IdempotencyRecord.created_at)
        .limit(batch)
    )
    forgotten = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(oldest)))
    session.commit()
    return int(forgotten.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class JsonText:
    """An answer already encoded as JSON: stored and sent as it is, never encoded again."""

    text: str


@dataclass(frozen=True)
class StoredResponse:
    """What to send back: the status and JSON body of the first execution (`JsonText` if encoded already)."""

    status_code: int
    body: Any
    is_replay: bool


def fingerprint(method: str, path: str, payload: Any) -> str:
    """A digest of what was asked, so a key reused for a different request is refused."""
    material = json.dumps([method, path, payload], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        message = f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters"
        raise InvalidInputError(message)


def _replay(session: Session, owner: str, key: str, print_: str) -> StoredResponse | None:
    stmt = select(IdempotencyRecord).where(IdempotencyRecord.owner == owner, IdempotencyRecord.key == key)
    found = session.scalars(stmt).first()
    if found is None:
        return None
    if found.fingerprint != print_:
        message = "this Idempotency-Key was already used for a different request"
        raise ConflictError(message)
    return StoredResponse(found.status_code, json.loads(found.body), is_replay=True)


def run_once(
    session: Session,
    *,
    owner: str,
    key: str,
    request_fingerprint: str,
    now: datetime,
    action: Callable[[], tuple[int, Any]],
) -> StoredResponse:
    """Run `action` at most once per (owner, key), committing its writes with the stored response.

    The outcome is stored in the same transaction as the action's writes, so a crash
    leaves either both or neither; a concurrent duplicate loses on the unique key and
    replays the winner's response.
    """
    _check_key(key)
    replay = _replay(session, owner, key, request_fingerprint)
    if replay is not None:
        return replay
    try:
        with deferred_commit(session):
            status_code, body = action()
    except Exception:
        session.rollback()
        # A concurrent twin with the same key may have won while this one ran; its unique rows
        # (a phone, a code) then make this action fail. The twin's outcome is the answer.
        replay = _replay(session, owner, key, request_fingerprint)
        if replay is not None:
            return replay
        raise
    record = IdempotencyRecord(
        owner=owner,
        key=key,
        fingerprint=request_fingerprint,
        status_code=status_code,
        body=body.text if isinstance(body, JsonText) else json.dumps(body, default=str, ensure_ascii=False),
        created_at=now,
    )
    session.add(record)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        replay = _replay(session, owner, key, request_fingerprint)
        if replay is None:
            raise
        return replay
    return StoredResponse(status_code, body, is_replay=False)


class _EncodedOnce(JSONResponse):
    """A JSON answer that sends `JsonText` as it is and encodes anything else (a replay's stored JSON)."""

    def render(self, content: Any) -> bytes:
        """The body's bytes."""
        return content.text.encode() if isinstance(content, JsonText) else super().render(content)


def respond_once(
    session: Session,
    *,
    owner: str,
    key: str | None,
    request: tuple[str, str, Any],
    now: datetime,
    create: Callable[[], BaseModel],
    location: Callable[[Mapping[str, Any]], str] | None = None,
    status_code: int = 201,
) -> JSONResponse:
    """The HTTP side of `run_once` for a creating POST (201) or a change (`status_code`): the answer, replayed on retry.

    `request` is (method, path, payload) and fingerprints the request (a payload that is a model
    is dumped only when there is a key to check); without a key the creation simply runs. Either
    way the answer is built inside the creating transaction, which commits after it, so answering
    never starts a second transaction. The created thing is encoded to JSON once: that text is
    the answer and, with a key, what is stored for a replay. `location` names the created thing's
    URL from its fields (on a replay, from the stored JSON), sent as the Location header.
    """
    fields: Mapping[str, Any] = {}

    def act() -> tuple[int, Any]:
        nonlocal fields
        created = create()
        fields = dict(created)
        return status_code, JsonText(created.model_dump_json())

    if key is None:
        with deferred_commit(session):
            stored = StoredResponse(*act(), is_replay=False)
        session.commit()
    else:
        method, path, payload = request
        if isinstance(payload, BaseModel):
            payload = payload.model_dump(mode="json")
        stored = run_once(
            session, owner=owner, key=key, request_fingerprint=fingerprint(method, path, payload), now=now, action=act
        )
    headers = {"Idempotent-Replayed": "true"} if stored.is_replay else {}
    if location is not None:
        headers["Location"] = location(stored.body if stored.is_replay else fields)
    return _EncodedOnce(stored.body, status_code=stored.status_code, headers=headers)
