"""The audit record: append-only, chained by SHA-256 hashes so any edit or deletion shows."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import BigInteger, Index, Integer, String, Table, Text, bindparam, event, insert, select, text, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from zhili.core.auth import Actor
from zhili.core.db import Base, UtcDateTime, transaction_info
from zhili.core.prepared import Prepared
from zhili.core.request_context import current_request_id

GENESIS_HASH = "0" * 64
HEAD_ID = 1


class AuditRecord(Base):
    """One thing that happened: who, when, in which role, to what, before and after."""

    __tablename__ = "audit_records"
    # A task page's steps (`campaigns.tasks.history`); only campaign tasks' records, so no case commit writes it.
    __table_args__ = (
        Index(
            "ix_audit_records_campaign_task",
            "entity_id",
            sqlite_where=text("entity_type = 'campaign_task'"),
            postgresql_where=text("entity_type = 'campaign_task'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(80))
    entity_type: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(80))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))
    # Not indexed: the chain is read in `seq` order, and every index is a page a commit writes (the head's
    # compare-and-set and the unique `seq` already keep concurrent appends in one chain). The one other index
    # is partial (above): a campaign task's records, read by entity; a case's commit writes none of its pages.
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The last link of the chain, so that cutting off the tail is detected too."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class AuditEntry:
    """What a service records; the chain fields are added on append."""

    actor: str
    role: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    request_id: str | None = None


@dataclass
class VerifyReport:
    """The outcome of walking the chain."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def is_intact(self) -> bool:
        """True when no edit, deletion or insertion was found."""
        return not self.problems


# The chain's two JSON forms, each encoder built once (`json.dumps` with options builds one a call).
# Their output is part of every stored hash: it must never change.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode
_MATERIAL = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _canonical(value: dict[str, Any] | None) -> str | None:
    return None if value is None else _CANONICAL(value)


def _link_hash(prev_hash: str, seq: int, at: datetime, fields: tuple[str | None, ...]) -> str:
    material = _MATERIAL([prev_hash, seq, at.isoformat(), *fields])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _fields(entry: AuditEntry) -> tuple[str | None, ...]:
    return (
        entry.actor,
        entry.role,
        entry.action,
        entry.entity_type,
        entry.entity_id,
        _canonical(entry.before),
        _canonical(entry.after),
        entry.request_id or current_request_id(),
    )


def record(session: Session, entry: AuditEntry, *, at: datetime) -> None:
    """Append one entry to the chain inside the caller's transaction."""
    record_many(session, [entry], at=at)


def record_by(
    session: Session,
    actor: Actor,
    action: str,
    *,
    entity_type: str,
    entity_id: object,
    at: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append what an actor did to an entity, inside the caller's transaction."""
    entry = AuditEntry(
        actor=actor.audit_name,
        role=actor.audit_role,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=before,
        after=after,
    )
    record_many(session, [entry], at=at)


# Prepared once: the hot path only binds values (no ORM flush, no per-call statement building).
_RECORDS = cast("Table", AuditRecord.__table__)
_HEAD = cast("Table", AuditHead.__table__)
_READ_HEAD = Prepared(select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == HEAD_ID).with_for_update())
_APPEND = Prepared(insert(_RECORDS))
_MOVE = update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
_MOVE_HEAD = Prepared(_MOVE)
# Moves the head only from the link this process expects it at (see _expected_heads).
_MOVE_HEAD_FROM = Prepared(_MOVE.where(_HEAD.c.seq == bindparam("b_seq"), _HEAD.c.hash == bindparam("b_hash")))
# The head each database had after this process last appended to it, by engine: a guess that saves
# reading the head. The guarded UPDATE checks it, so a stale guess (another process appended, or
# the transaction rolled back) costs one extra statement, never a broken chain.
_expected_heads: dict[int, tuple[int, str]] = {}


def record_many(session: Session, entries: Iterable[AuditEntry], *, at: datetime) -> int:
    """Queue entries for the chain, in order; they are linked and written as the session commits.

    What each entry says (its JSON, the request it came with) is fixed now; its place in the chain
    when the transaction commits (`settle_head`, a `before_commit` hook): one move of the head, then
    one insert of the new links. So the head row, which every writer's transaction moves, is locked
    (PostgreSQL) only for the last statements before COMMIT, not from a transaction's first append
    to its end: concurrent transactions on several API processes do the rest of their work side by
    side, and the chain's order is the order of the commits. On SQLite the write lock serialises the
    whole transaction anyway. A transaction that appends therefore ends with `Session.commit` (or a
    rollback, which drops what it queued), never by committing its connection behind the session's
    back; and sessions have no savepoints to undo a part of it (`core.prepared` refuses them).
    """
    at = at.astimezone(UTC)
    queued = [(_fields(entry), at) for entry in entries]
    if not queued:
        return 0
    info = transaction_info(session)
    if info is None:
        session.connection()  # begins the transaction the entries belong to
        info = transaction_info(session)
    if info is None:  # pragma: no cover - a session with a connection is in a transaction
        message = "the session began no transaction"
        raise RuntimeError(message)
    info.setdefault(_QUEUED_KEY, []).extend(queued)
    return len(queued)


Link = tuple[tuple[str | None, ...], datetime]  # what an entry says, and when it happened
Head = tuple[int, str]
_QUEUED_KEY = "zhili.audit.queued"


def settle_head(session: Session) -> None:
    """Link what this transaction queued onto the chain and move the head to its last link.

    Run as the session commits (a `before_commit` hook), and by `verify` before it reads the chain.
    """
    info = transaction_info(session)
    queued: list[Link] | None = None if info is None else info.pop(_QUEUED_KEY, None)
    if not queued:
        return
    engine_key = id(session.get_bind().engine)
    rows, head = _move_head_for(session, engine_key, queued)
    if len(rows) == 1:
        _APPEND.run(session, rows[0])
    else:
        _APPEND.run_many(session, rows)
    _expected_heads[engine_key] = head


event.listen(Session, "before_commit", settle_head)


def _move_head_for(session: Session, engine_key: int, queued: list[Link]) -> tuple[list[dict[str, Any]], Head]:
    """Move the head past `queued` (from where this process expects it, else from where it is read to be).

    The rows that chain `queued` on, and the new head, as `_links` gives them.
    """
    expected = _expected_heads.get(engine_key)
    rows, head = _links(expected, queued) if expected is not None else ([], (0, GENESIS_HASH))
    if expected is None or not _move_head(session, expected, head):
        seq, prev = _READ_HEAD.run(session).one()
        rows, head = _links((seq, prev), queued)
        _MOVE_HEAD.run(session, {"new_seq": head[0], "new_hash": head[1]})
    return rows, head


def _move_head(session: Session, expected: Head, head: Head) -> bool:
    """Move the head to `head` if it is where this process expects it; False when it is not."""
    params = {"new_seq": head[0], "new_hash": head[1], "b_seq": expected[0], "b_hash": expected[1]}
    return _MOVE_HEAD_FROM.run(session, params).rowcount == 1


def _links(head: Head, queued: list[Link]) -> tuple[list[dict[str, Any]], Head]:
    """The rows that chain `queued` onto `head`, and the new head."""
    seq, prev = head
    rows: list[dict[str, Any]] = []
    for fields, at in queued:
        seq += 1
        digest = _link_hash(prev, seq, at, fields)
        rows.append(_row(seq, at, fields, prev, digest))
        prev = digest
    return rows, (seq, prev)


def _row(seq: int, at: datetime, fields: tuple[str | None, ...], prev: str, digest: str) -> dict[str, Any]:
    actor, role, action, entity_type, entity_id, before, after, request_id = fields
    return {
        "seq": seq,
        "at": at,
        "actor": actor,
        "role": role,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "before": before,
        "after": after,
        "request_id": request_id,
        "prev_hash": prev,
        "hash": digest,
    }


def _walk(session: Session) -> Iterator[AuditRecord]:
    stmt = select(AuditRecord).order_by(AuditRecord.seq).execution_options(yield_per=5000)
    yield from session.scalars(stmt)


def verify(session: Session) -> VerifyReport:
    """Walk the chain from the genesis link and report every break."""
    report = VerifyReport()
    settle_head(session)  # this transaction's own entries, linked and written first
    expected_seq, prev = 0, GENESIS_HASH
    for row in _walk(session):
        expected_seq += 1
        if row.seq != expected_seq:
            report.problems.append(f"seq {expected_seq}: missing (next present is {row.seq}); rows were deleted")
            expected_seq = row.seq
        if row.prev_hash != prev:
            report.problems.append(f"seq {row.seq}: does not link to the row before it")
        fields = (
            row.actor,
            row.role,
            row.action,
            row.entity_type,
            row.entity_id,
            row.before,
            row.after,
            row.request_id,
        )
        if _link_hash(row.prev_hash, row.seq, row.at, fields) != row.hash:
            report.problems.append(f"seq {row.seq}: content does not match its hash; the row was edited")
        prev = row.hash
        report.checked += 1
    # Read with Core: an AuditHead object in the session could predate the appends made since.
    head = session.connection().execute(select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == HEAD_ID)).first()
    if head is None or head.seq != expected_seq or head.hash != prev:
        report.problems.append("the chain's head does not match its last row; rows were cut off or added")
    return report
