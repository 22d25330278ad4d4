"""Health and readiness: what a load balancer and an orchestrator ask each API process.

`/healthz` (liveness): the process answers and reaches its database. `/readyz` (readiness): the
database answers and its schema is at the migration head this code was built for, so a process
started before `zhili db upgrade` (or one left on the old code after it) takes no traffic.
"""

from __future__ import annotations

from functools import cache

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from zhili.core import migrate
from zhili.core.db import SQLITE_BEGIN_OPTION


@cache
def expected_revision() -> str:
    """The newest migration this code ships (read once per process)."""
    head = ScriptDirectory.from_config(migrate.alembic_config("")).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        message = "no migration head"
        raise RuntimeError(message)
    return head


def not_ready(engine: Engine) -> str | None:
    """None when the database answers at the expected revision; otherwise why this process is not ready."""
    # A reader: on SQLite it must not queue for the write lock behind a long write transaction.
    reader = engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
    try:
        with reader.connect() as connection:
            found = sorted(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        return f"the database does not answer: {type(cause).__name__}"
    expected = expected_revision()
    if found != [expected]:
        at = ", ".join(found) or "no revision"
        return f"the database is at {at}; this code expects {expected} (run `zhili db upgrade`)"
    return None
