"""The query planner's statistics: gathered after a bulk load, and kept fresh on SQLite by the worker.

Without statistics SQLite guesses which index serves a condition, and some guesses are ruinous: the case
queue's "whose turn is it" test looks for a centre post at each of a case's divisions, and unanalysed,
SQLite walked every post without a department (about 17,000) for each case listed, 9 s for 500 rows
instead of 0.1 s. PostgreSQL's autovacuum analyses on its own; SQLite never does.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

# The rows SQLite reads per index when the worker refreshes them: enough for sound estimates, a few
# milliseconds however large the tables grow (SQLite's `analysis_limit`).
SAMPLE_ROWS = 1_000
REFRESH_SECONDS = 6 * 3600.0


def gather(session: Session) -> None:
    """Analyse every table in full, in the session's transaction (after the demo's build or a bulk import)."""
    session.execute(text("ANALYZE"))


def gathered(session: Session) -> bool:
    """Whether SQLite holds statistics (rows of `sqlite_stat1`, the table the first ANALYZE makes)."""
    if not session.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")):
        return False
    return session.scalar(text("SELECT 1 FROM sqlite_stat1 LIMIT 1")) is not None


def refresh_job(sessions: sessionmaker[Session], *, every_seconds: float = REFRESH_SECONDS) -> Callable[[], int]:
    """The worker's job on SQLite: statistics of a sample of every index, every few hours.

    At start only where there are none yet (the demo's, gathered in full, stand until the first refresh):
    a database created empty has them once its worker has run, and as it grows they follow. A failure
    (the database busy past its timeout) is the worker's to retry, as any batch's. Returns 0: no item of
    work is handled, so the worker's loop paces itself as before.
    """
    next_run: list[float | None] = [None]  # None: the first run, at start

    def run() -> int:
        due = next_run[0]
        if due is not None and time.monotonic() < due:
            return 0
        with sessions() as session:
            if due is not None or not gathered(session):
                session.execute(text(f"PRAGMA analysis_limit = {SAMPLE_ROWS}"))
                try:
                    gather(session)
                    session.commit()
                finally:
                    session.rollback()
                    session.execute(text("PRAGMA analysis_limit = 0"))  # the pooled connection as it was
        next_run[0] = time.monotonic() + every_seconds
        return 0

    return run
