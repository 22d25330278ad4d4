"""Where a closed loop's time goes: statements, SQLite's own time, and the pages each commit writes.

Run as ``python benchmarks/where_a_loop_goes.py [--loops N]`` from the project root. It runs the
closed loops of ``bench_closed_loops.py`` (report + photo + 8 commands, ten transactions) on a fresh
SQLite file and prints, per loop:

1. **CPU**: the loops' process time, without any instrumentation.
2. **Statements**: every statement SQLite ran (its trace callback), by verb and by table, and the
   transactions (COMMITs); beside them, the same loops from 16 concurrent clients through group
   commit (``core.group_commit``, as ``bench_closed_loops.py``'s grouped phase), where a batch's
   units share a transaction and what is done once a transaction (ADR 0014).
3. **Inside SQLite**: the same loops again under cProfile, the own time of the driver's calls
   (``sqlite3.Cursor.execute`` / ``executemany`` / ``fetch*``; ``sqlite3.Connection.execute`` is
   BEGIN and COMMIT). The profiler inflates Python's time much more than C's, so these are near
   what SQLite costs without it; what is left of the uninstrumented CPU is Python's.
4. **Pages a commit writes**: the loops once more with the WAL kept whole (no checkpoints), then its
   frames counted by the table or index that owns each page (SQLite's ``dbstat``). Each frame is a
   4 KiB write at COMMIT; a transaction that touches fewer b-trees commits faster.

Beside ``bench_closed_loops.py``'s lower bound of a command (its six unavoidable statements on the
bare driver), it shows where the rest goes. docs/how-to/run-the-benchmarks.md reads the figures.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import pstats
import re
import sqlite3
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import event

from _setup import build_world, points_in
from bench_closed_loops import CLIENTS, WARMUP, Loops, serve_clients
from zhili.core.group_commit import GroupCommitter
from zhili.org.geo import LocatorCache

# A statement's verb and the table it is about: the one after UPDATE, INTO, or the outermost FROM
# (string literals and parenthesised subqueries are taken out first).
_VERB = re.compile(r"^\s*(?:WITH\b.*?\)\s*)?(SELECT|INSERT|UPDATE|DELETE)\b", re.IGNORECASE | re.DOTALL)
_LITERAL = re.compile(r"'(?:[^']|'')*'")
_INNERMOST = re.compile(r"\([^()]*\)")
_TARGET = re.compile(r"\bUPDATE\s+\"?(\w+)|\b(?:INTO|FROM)\s+(?!AS\b)\"?(\w+)", re.IGNORECASE)
_WAL_HEADER, _FRAME_HEADER = 32, 24


def statements(loops: Loops, run: Callable[[], object]) -> collections.Counter[str]:
    """Each statement SQLite runs during `run` (some loops), counted by "VERB table" (and COMMIT)."""
    seen: collections.Counter[str] = collections.Counter()

    def trace(sql: str) -> None:
        verb = _VERB.match(sql)
        if verb:
            seen[f"{verb.group(1).upper()} {_table(sql)}"] += 1
        elif sql.startswith("COMMIT"):
            seen["COMMIT"] += 1

    engine = loops.world.engine
    engine.dispose()
    listener = lambda dbapi_connection, _record: dbapi_connection.set_trace_callback(trace)  # noqa: E731
    event.listen(engine, "connect", listener)
    try:
        run()
    finally:
        event.remove(engine, "connect", listener)
        engine.dispose()
    return seen


def _table(sql: str) -> str:
    """The table a statement is about, once its literals and subqueries are taken out."""
    flat, before = _LITERAL.sub("''", sql), ""
    while flat != before:
        before, flat = flat, _INNERMOST.sub(" ", flat)
    found = _TARGET.search(flat)
    return (found.group(1) or found.group(2)) if found else "(a subquery)"


def grouped(loops: Loops, points: list[tuple[float, float]]) -> None:
    """The loops from `CLIENTS` concurrent clients, every step through group commit."""
    with GroupCommitter() as committer:
        serve_clients(loops, points, CLIENTS, lambda work: committer.run_async(work, loops.sessions))


def inside_sqlite(loops: Loops, points: list[tuple[float, float]]) -> dict[str, float]:
    """Seconds spent in the driver's calls during the loops, by call (cProfile's own time of C calls)."""
    profiler = cProfile.Profile()
    profiler.enable()
    loops.run_all(points)
    profiler.disable()
    spent: dict[str, float] = collections.defaultdict(float)
    for (_file, _line, name), entry in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        if "sqlite3." in name:
            spent[name.replace("<method '", "").replace("' of 'sqlite3.", " (").replace("' objects>", ")")] += entry[2]
    return spent


def wal_frames(loops: Loops, points: list[tuple[float, float]], database: Path) -> tuple[int, collections.Counter[str]]:
    """The commits of the loops and the WAL frames they wrote, by the b-tree owning each page."""
    engine = loops.world.engine
    engine.dispose()
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    listener = lambda dbapi_connection, _record: dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")  # noqa: E731
    event.listen(engine, "connect", listener)
    try:
        loops.run_all(points)
        wal = Path(f"{database}-wal").read_bytes()  # read before the last connection closes and checkpoints
    finally:
        event.remove(engine, "connect", listener)
    page_size = struct.unpack(">I", wal[8:12])[0]
    pages, commits, offset = [], 0, _WAL_HEADER
    while offset + _FRAME_HEADER <= len(wal):
        page, size_after_commit = struct.unpack(">II", wal[offset : offset + 8])
        pages.append(page)
        commits += size_after_commit > 0
        offset += _FRAME_HEADER + page_size
    with sqlite3.connect(database) as connection:
        try:
            owner = dict(connection.execute("SELECT pageno, name FROM dbstat").fetchall())
        except sqlite3.OperationalError:  # a SQLite built without dbstat: frames counted, owners unknown
            owner = {}
    engine.dispose()
    return commits, collections.Counter(owner.get(page, "?") for page in pages)


def main() -> int:
    """Run the loops three ways and print where their time goes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=300)
    args = parser.parse_args()
    n = args.loops
    database = Path(tempfile.mkdtemp(prefix="zhili-bench-")) / "loops.sqlite"
    world = build_world(database)
    loops = Loops(world, LocatorCache())
    points = points_in([world.grids[world.worker_grid]], WARMUP + 5 * n, seed=1)
    loops.run_all(points[:WARMUP])
    runs = [points[WARMUP + k * n : WARMUP + (k + 1) * n] for k in range(5)]

    started = time.process_time()
    loops.run_all(runs[0])
    cpu_ms = (time.process_time() - started) / n * 1000
    seen = statements(loops, lambda: loops.run_all(runs[1]))
    seen_grouped = statements(loops, lambda: grouped(loops, runs[4]))
    spent = inside_sqlite(loops, runs[2])
    commits, frames = wal_frames(loops, runs[3], database)

    inside_ms = sum(spent.values()) / n * 1000
    heaviest = sorted(spent.items(), key=lambda item: -item[1])
    verbs, verbs_grouped = _by_verb(seen), _by_verb(seen_grouped)
    lines = [
        f"{n:,} closed loops a run (report + photo + 8 commands), fresh SQLite file, five runs",
        f"CPU per loop, uninstrumented                        {cpu_ms:8.2f} ms",
        f"statements per loop: serial | {CLIENTS} clients, group commit",
        f"  {'all but COMMIT':<50}{_statements(verbs) / n:8.1f} | {_statements(verbs_grouped) / n:5.1f}",
        *(f"  {verb:<50}{count / n:8.1f} | {verbs_grouped[verb] / n:5.1f}" for verb, count in verbs.most_common()),
        "  by table (the one after UPDATE or INTO, or the outermost FROM):",
        *(
            f"    {key:<48}{seen[key] / n:8.1f} | {seen_grouped[key] / n:5.1f}"
            for key, _count in (seen + seen_grouped).most_common()
            if key != "COMMIT"
        ),
        f"inside SQLite per loop (C calls' own time)          {inside_ms:8.2f} ms  ({inside_ms / cpu_ms:.0%} of CPU)",
        *(f"  {name:<50}{seconds / n * 1000:8.2f} ms" for name, seconds in heaviest[:6]),
        f"Python and the rest per loop                        {cpu_ms - inside_ms:8.2f} ms",
        f"WAL frames (4 KiB page writes) per commit           {sum(frames.values()) / max(commits, 1):8.1f}",
        *(f"  {name:<50}{count / max(commits, 1):8.2f}" for name, count in frames.most_common(30)),
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _statements(verbs: collections.Counter[str]) -> int:
    return verbs.total() - verbs["COMMIT"]


def _by_verb(seen: collections.Counter[str]) -> collections.Counter[str]:
    verbs: collections.Counter[str] = collections.Counter()
    for key, count in seen.items():
        verbs[key.split()[0]] += count
    return verbs


if __name__ == "__main__":
    sys.exit(main())
