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


def refresh_job(sessions: sessionmaker[Session], *, every_seconds: float = REFRESH_SECONDS) -> Callable[[], int]:
    """The worker's job on SQLite: analyse a sample of every index at start, then every few hours.

    A database created empty (not from the demo) has statistics once its worker has run; as it grows they
    follow. Returns 0: no item of work is handled, so the worker's loop paces itself as before.
    """
    next_run: list[float] = [0.0]

    def run() -> int:
        if time.monotonic() < next_run[0]:
            return 0
        next_run[0] = time.monotonic() + every_seconds
        with sessions() as session:
            session.execute(text(f"PRAGMA analysis_limit = {SAMPLE_ROWS}"))
            gather(session)
            session.commit()
        return 0

    return run
