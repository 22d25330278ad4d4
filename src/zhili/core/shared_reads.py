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
from typing import TypeVar, cast

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from zhili.core.db import transaction_info

T = TypeVar("T")
_KEY = "zhili.shared_reads"


def shared(bind: Session | Connection, key: Hashable, read: Callable[[], T]) -> T:
    """What `read()` gives, read once per transaction of `bind` under `key`."""
    if not isinstance(bind, Session):
        return read()
    info = transaction_info(bind)
    kept = info.get(_KEY) if info is not None else None
    if kept is not None and key in kept:
        return cast("T", kept[key])  # stored by this function under the same key
    value = read()
    info = transaction_info(bind)  # the read may have begun the transaction
    if info is not None:
        info.setdefault(_KEY, {})[key] = value
    return value


def forget(session: Session) -> None:
    """Drop what this transaction kept: its caller has just written reference data."""
    info = transaction_info(session)
    if info is not None:
        info.pop(_KEY, None)
