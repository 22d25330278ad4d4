"""The audit chain detects edits, deletions and insertions, on both backends."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.orm import Session
from tests.conftest import START, scratch_postgres
from tests.core.test_group_commit import queued_behind

from zhili.core import audit
from zhili.core.audit import AuditEntry, AuditRecord
from zhili.core.clock import FrozenClock
from zhili.core.db import Base, commit, make_engine, make_session_factory
from zhili.core.errors import ConflictError
from zhili.core.group_commit import GroupCommitter


def _append(session: Session, clock: FrozenClock, count: int) -> None:
    audit.record_many(
        session,
        [
            AuditEntry(
                actor="test",
                role="admin",
                action="test.thing",
                entity_type="thing",
                entity_id=str(n),
                after={"n": n, "名称": "测试"},
            )
            for n in range(count)
        ],
        at=clock.now(),
    )
    session.commit()


def _last_seq(session: Session) -> int:
    return session.scalar(select(func.max(AuditRecord.seq))) or 0


def test_chain_of_the_demo_world_is_intact(session: Session, clock: FrozenClock) -> None:
    _append(session, clock, 5)
    report = audit.verify(session)
    assert report.is_intact, report.problems
    assert report.checked == _last_seq(session)


def test_an_edited_row_is_detected(session: Session, clock: FrozenClock) -> None:
    _append(session, clock, 5)
    target = _last_seq(session) - 2
    session.execute(update(AuditRecord).where(AuditRecord.seq == target).values(after='{"n": 999}'))
    report = audit.verify(session)
    assert not report.is_intact
    assert any(f"seq {target}: content does not match" in p for p in report.problems)


def test_a_deleted_row_in_the_middle_is_detected(session: Session, clock: FrozenClock) -> None:
    _append(session, clock, 5)
    target = _last_seq(session) - 2
    session.execute(delete(AuditRecord).where(AuditRecord.seq == target))
    problems = audit.verify(session).problems
    assert any("rows were deleted" in p for p in problems)
    assert any("does not link" in p for p in problems)


def test_a_cut_off_tail_is_detected(session: Session, clock: FrozenClock) -> None:
    _append(session, clock, 3)
    session.execute(delete(AuditRecord).where(AuditRecord.seq == _last_seq(session)))
    problems = audit.verify(session).problems
    assert problems == ["the chain's head does not match its last row; rows were cut off or added"]


def test_a_forged_link_with_a_fresh_hash_still_breaks_the_next_link(session: Session, clock: FrozenClock) -> None:
    _append(session, clock, 3)
    target = _last_seq(session) - 1
    row = session.scalars(select(AuditRecord).where(AuditRecord.seq == target)).one()
    fields = (
        row.actor,
        "forged-role",
        row.action,
        row.entity_type,
        row.entity_id,
        row.before,
        row.after,
        row.request_id,
    )
    forged = audit._link_hash(row.prev_hash, row.seq, row.at, fields)
    session.execute(update(AuditRecord).where(AuditRecord.seq == target).values(role="forged-role", hash=forged))
    problems = audit.verify(session).problems
    assert any(f"seq {target + 1}: does not link" in p for p in problems)


def test_appends_after_another_writer_moved_the_head_still_chain(session: Session, clock: FrozenClock) -> None:
    _append(session, clock, 2)
    stale = dict(audit._expected_heads)  # where this process expects the head now
    _append(session, clock, 1)  # as if another process had appended: the head moved on
    audit._expected_heads.update(stale)  # ... without this process knowing
    _append(session, clock, 3)
    report = audit.verify(session)
    assert report.is_intact, report.problems
    assert report.checked == _last_seq(session)


def test_a_rolled_back_append_leaves_no_gap(session: Session, clock: FrozenClock) -> None:
    _append(session, clock, 1)
    entry = AuditEntry(actor="test", role="admin", action="test.undone", entity_type="thing", entity_id="1")
    audit.record_many(session, [entry], at=clock.now())
    session.rollback()  # this process expected the head one link further on
    _append(session, clock, 2)
    report = audit.verify(session)
    assert report.is_intact, report.problems
    assert "test.undone" not in session.scalars(select(AuditRecord.action)).all()


def _appended_apart(session: Session, clock: FrozenClock, count: int, action: str = "test.unit") -> None:
    """`count` appends in one transaction, each a call of its own, as the units of a group-commit batch make."""
    for n in range(count):
        entry = AuditEntry(actor="test", role="admin", action=action, entity_type="thing", entity_id=str(n))
        audit.record_many(session, [entry], at=clock.now())


def _head(session: Session) -> tuple[int, str]:
    found = session.execute(select(audit.AuditHead.seq, audit.AuditHead.hash)).one()
    return found.seq, found.hash


def test_appends_of_one_transaction_move_the_head_once_as_it_commits(session: Session, clock: FrozenClock) -> None:
    _append(session, clock, 1)
    first_seq = _head(session)[0]
    _appended_apart(session, clock, 4)
    assert _head(session)[0] == first_seq  # queued: the head is neither moved nor locked before the commit
    assert _last_seq(session) == first_seq
    session.commit()
    assert _head(session)[0] == first_seq + 4 == _last_seq(session)
    report = audit.verify(session)
    assert report.is_intact, report.problems


def test_the_chain_read_inside_the_transaction_sees_its_own_appends(session: Session, clock: FrozenClock) -> None:
    _appended_apart(session, clock, 3)
    report = audit.verify(session)  # before the commit: the head is settled first
    assert report.is_intact, report.problems
    _appended_apart(session, clock, 2)
    session.commit()
    assert audit.verify(session).is_intact


def test_a_rolled_back_transaction_of_several_appends_leaves_the_chain_whole(
    session: Session, clock: FrozenClock
) -> None:
    _append(session, clock, 1)
    _appended_apart(session, clock, 3, action="test.undone")
    session.rollback()  # the head this process holds in memory is three links past the stored one
    _appended_apart(session, clock, 2)
    session.commit()
    report = audit.verify(session)
    assert report.is_intact, report.problems
    assert "test.undone" not in session.scalars(select(AuditRecord.action)).all()


def test_a_group_commit_batch_chains_its_units_and_a_failed_unit_leaves_no_link(
    tmp_path: Path, clock: FrozenClock
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.sqlite'}")
    Base.metadata.create_all(engine, tables=[AuditRecord.__table__, audit.AuditHead.__table__])
    with engine.begin() as connection:
        connection.execute(insert(audit.AuditHead).values(id=audit.HEAD_ID, seq=0, hash=audit.GENESIS_HASH))
    sessions = make_session_factory(engine)

    def unit(name: str, *, fails: bool = False) -> Callable[[Session], str]:
        def work(session: Session) -> str:
            _appended_apart(session, clock, 2, action=name)
            if fails:
                raise ConflictError("refused after its appends")
            commit(session)
            return name

        return work

    units = [unit("test.a"), unit("test.b"), unit("test.refused", fails=True), unit("test.c")]
    with GroupCommitter() as committer:
        answers = queued_behind(committer, sessions, units)
        grouped = queued_behind(committer, sessions, [unit("test.d"), unit("test.e")])
    assert [type(answer).__name__ if isinstance(answer, Exception) else answer for answer in answers] == [
        "test.a",
        "test.b",
        "ConflictError",
        "test.c",
    ]
    assert grouped == ["test.d", "test.e"]
    assert committer.stats.abandoned == 1  # the first batch was undone and its units ran alone
    with Session(engine) as session:
        report = audit.verify(session)
        assert report.is_intact, report.problems
        actions = session.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)).all()
    assert actions == [action for name in "abcde" for action in [f"test.{name}"] * 2]
    engine.dispose()


@pytest.fixture
def postgres_chain() -> Iterator[Engine]:
    """A scratch PostgreSQL database holding only an empty chain."""
    engine = make_engine(scratch_postgres("audit_concurrent"))
    Base.metadata.create_all(engine, tables=[AuditRecord.__table__, audit.AuditHead.__table__])
    with engine.begin() as connection:
        connection.execute(insert(audit.AuditHead).values(id=audit.HEAD_ID, seq=0, hash=audit.GENESIS_HASH))
    yield engine
    engine.dispose()


def test_a_transaction_that_appended_does_not_hold_up_another_writer_on_postgresql(
    postgres_chain: Engine, clock: FrozenClock
) -> None:
    # Two API processes: the first has appended and goes on with its other writes; the second
    # appends and commits meanwhile. The head row is locked only at a commit, so the second does
    # not wait (a lock wait would fail fast here); the chain takes the commits' order.
    sessions = make_session_factory(postgres_chain)
    with sessions() as first, sessions() as second:
        _appended_apart(first, clock, 2, action="test.first")
        first.connection().exec_driver_sql("SELECT 1")  # the rest of the first transaction's work
        second.connection().exec_driver_sql("SET LOCAL lock_timeout = '2s'")
        _appended_apart(second, clock, 1, action="test.second")
        second.commit()
        first.commit()
    with sessions() as session:
        report = audit.verify(session)
        assert report.is_intact, report.problems
        actions = session.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)).all()
    assert actions == ["test.second", "test.first", "test.first"]


def test_the_hashed_json_forms_stay_those_of_the_stored_chains() -> None:
    """Every stored link's hash was made with these forms: an encoder that wrote a byte differently breaks them all."""
    awkward = {"b": 1, "a": "名称\n\t\x00\u2028", "at": START, "l": [1.5, None, True, {"z": "é"}], "n": 1e16}
    assert audit._canonical(awkward) == json.dumps(
        awkward, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    fields = ("account:1:某人", "admin", "test.thing", "thing", "1", None, '{"a":"名"}', None)
    linked = [audit.GENESIS_HASH, 1, START.isoformat(), *fields]
    material = json.dumps(linked, ensure_ascii=False, separators=(",", ":"))
    assert audit._link_hash(audit.GENESIS_HASH, 1, START, fields) == hashlib.sha256(material.encode()).hexdigest()
