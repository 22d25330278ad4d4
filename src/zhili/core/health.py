"""Health and readiness: what a load balancer and an orchestrator ask each API process.

`/healthz` (liveness): the process answers and reaches its database. `/readyz` (readiness): the
database answers and its schema is at the migration head this code was built for, so a process
started before `zhili db upgrade` (or one left on the old code after it) takes no traffic.
"""

from __future__ import annotations

from functools import cache, lru_cache

from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from zhili.core.db import SQLITE_BEGIN_OPTION
from zhili.core.problems import problem_response


@cache
def expected_revision() -> str:
    """The newest migration this code ships (read once per process).

    Alembic is imported here: it costs a process about 80 ms, paid at the first probe rather than by
    every worker and command.
    """
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - see above

    from zhili.core import migrate  # noqa: PLC0415 - see above

    head = ScriptDirectory.from_config(migrate.alembic_config("")).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        message = "no migration head"
        raise RuntimeError(message)
    return head


def probe_answer(reason: str | None, status: str) -> dict[str, str] | JSONResponse:
    """A probe's answer: `{"status": status}`, or a 503 problem saying why not."""
    if reason is None:
        return {"status": status}
    return problem_response(503, "Service Unavailable", reason, slug="not-ready")


@lru_cache(maxsize=16)  # an app has one engine; tests make many
def _reader(engine: Engine) -> Engine:
    """A connection for a probe's one statement, in no transaction it would have to end.

    On SQLite it must not queue for the write lock behind a long write transaction; on PostgreSQL it
    runs in autocommit, so the probe is one round trip (no BEGIN, and no check and COMMIT at its end).
    Made once per engine: load balancers ask every few seconds.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})


def _does_not_answer(exc: SQLAlchemyError) -> str:
    cause = getattr(exc, "orig", None) or exc
    return f"the database does not answer: {type(cause).__name__}"


def unreachable(engine: Engine) -> str | None:
    """None when the database answers a `SELECT 1`; otherwise why not (liveness)."""
    try:
        with _reader(engine).connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return _does_not_answer(exc)
    return None


def not_ready(engine: Engine) -> str | None:
    """None when the database answers at the expected revision; otherwise why this process is not ready."""
    try:
        with _reader(engine).connect() as connection:
            found = sorted(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except SQLAlchemyError as exc:
        return _does_not_answer(exc)
    expected = expected_revision()
    if found != [expected]:
        at = ", ".join(found) or "no revision"
        return f"the database is at {at}; this code expects {expected} (run `zhili db upgrade`)"
    return None
