"""Reads a transaction shares: reference data read once however many units of work one transaction runs.

Under group commit (`core.group_commit`) one transaction runs a batch's units, each a request of
its own. What every one of them reads and none of them writes (the webhook endpoints switched on,
a place's name) is read by the first and kept for the others. It is kept for the transaction only
(on PostgreSQL, read committed, a later statement of the same transaction might have seen a newer
commit; for data that changes by an import or an administrator's edit, that is the same race
either way), and the next transaction reads again.
A writer of such data calls `forget` in its transaction, so the units after it read the change.
A session without a transaction, or a plain connection, reads every time.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import Connection
from sqlalchemy.orm import Session, SessionTransaction

T = TypeVar("T")
_KEY = "zhili.shared_reads"
_Kept = tuple[SessionTransaction, dict[Hashable, object]]


def shared(bind: Session | Connection, key: Hashable, read: Callable[[], T]) -> T:
    """What `read()` gives, read once per transaction of `bind` under `key`."""
    if not isinstance(bind, Session):
        return read()
    kept = _kept(bind)
    if kept is not None and key in kept:
        return kept[key]  # type: ignore[return-value]  # stored by this function under the same key
    value = read()
    transaction = bind.get_transaction()
    if transaction is not None:
        held: _Kept | None = bind.info.get(_KEY)
        if held is None or held[0] is not transaction:
            held = bind.info[_KEY] = (transaction, {})
        held[1][key] = value
    return value


def forget(session: Session) -> None:
    """Drop what this transaction kept: its caller has just written reference data."""
    session.info.pop(_KEY, None)


def _kept(session: Session) -> dict[Hashable, object] | None:
    held: _Kept | None = session.info.get(_KEY)
    if held is None or held[0] is not session.get_transaction():
        return None
    return held[1]
