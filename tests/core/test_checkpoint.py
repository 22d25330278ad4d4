"""The WAL checkpointer: commits leave checkpoints to it, the WAL stays bounded, a stop empties it, nothing is lost.

Real SQLite files. Checkpoints are observed through SQLite's own wal-index (frames in the WAL, frames
copied into the database file) and the WAL file's size; the thresholds are small so that each test
writes a few megabytes at most.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from zhili.app import create_app
from zhili.core import db
from zhili.core.checkpoint import CheckpointPolicy, checkpointing, wal_length
from zhili.core.settings import Settings

ROW = 3_000  # bytes: one row, most of a 4 KiB page
NEVER = 3_600.0
# Polls, but never copies the WAL by itself: what the connections do is all there is.
SLEEPING = CheckpointPolicy(pages=10**9, limit_pages=10**9, poll_s=NEVER, interval_s=NEVER, idle_s=NEVER)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[Path, Engine]]:
    """A fresh SQLite file with one table, on an engine whose checkpoints may run in the background."""
    path = tmp_path / "wal.sqlite"
    engine = db.make_engine(f"sqlite:///{path}", background_checkpoints=True)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY, data BLOB NOT NULL)"))
    yield path, engine
    engine.dispose()


def write(engine: Engine, commits: int, *, rows: int = 1, pause_s: float = 0) -> None:
    """`commits` write transactions of `rows` rows each, through the engine's pool as requests do."""
    for _ in range(commits):
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t (data) VALUES (zeroblob(:size))"), [{"size": ROW}] * rows)
        if pause_s:
            time.sleep(pause_s)


def wal_bytes(path: Path) -> int:
    """The WAL file's size (0 when there is none)."""
    wal = Path(f"{path}-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_commits_leave_checkpoints_to_a_running_checkpointer_and_take_them_back_after(
    database: tuple[Path, Engine],
) -> None:
    path, engine = database
    with checkpointing(engine, SLEEPING) as checkpointer:
        assert checkpointer is not None
        write(engine, 600)  # past the 1,000 frames at which a commit would checkpoint
        during = wal_length(str(path))
        assert during is not None
        assert during.frames >= 1_200
        assert during.backfilled == 0, "a commit checkpointed the WAL"
        assert checkpointer.checkpoints == 0
    assert not checkpointer.is_running
    assert wal_bytes(path) == 0, "the last checkpoint empties the WAL"

    write(engine, 600)  # no checkpointer: SQLite's own checkpoint in the commits again
    after = wal_length(str(path))
    assert after is not None
    assert after.backfilled > 0 or after.frames < 1_100
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 1_200


def test_the_wal_stays_bounded_under_a_sustained_load_and_the_stop_empties_it(database: tuple[Path, Engine]) -> None:
    path, engine = database
    policy = CheckpointPolicy(pages=40, limit_pages=200, poll_s=0.005, idle_s=NEVER)
    page = 4096
    readers_stop = threading.Event()

    def read() -> None:  # short reads alongside, as pages are served: they pin WAL frames while they run
        reads = db.make_session_factory(engine, read_only=True)
        while not readers_stop.is_set():
            with reads() as session:
                session.execute(text("SELECT max(n) FROM t")).scalar()
            time.sleep(0.002)

    reader = threading.Thread(target=read)
    with checkpointing(engine, policy) as checkpointer:
        assert checkpointer is not None
        reader.start()
        # About 4,800 frames, no pause as long as a checkpoint: only the catch-up restarts the WAL.
        write(engine, 600, rows=8, pause_s=0.0005)
        readers_stop.set()
        reader.join()
        # Well under the 4,800 frames written: the catch-ups restarted the WAL. Not the policy's 200 pages: on a
        # loaded machine (a suite beside a browser) the checkpointer's thread waits its turn and the WAL runs on
        # meanwhile (1,675 pages seen once); without the checkpointer it would hold every frame written.
        assert wal_bytes(path) < 2_400 * page
        assert checkpointer.checkpoints > 10
    assert not checkpointer.is_running
    assert wal_bytes(path) == 0
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 4_800


def test_an_idle_wal_is_truncated(database: tuple[Path, Engine]) -> None:
    path, engine = database
    with checkpointing(engine, CheckpointPolicy(poll_s=0.01, idle_s=0.05)):
        write(engine, 20)
        assert wal_bytes(path) > 0
        deadline = time.monotonic() + 10
        while wal_bytes(path) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert wal_bytes(path) == 0
        write(engine, 1)  # and writing goes on after it
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 21


def test_the_app_runs_a_checkpointer_while_it_serves(tmp_path: Path) -> None:
    path = tmp_path / "app.sqlite"
    app = create_app(Settings(environment="test", database_url=f"sqlite:///{path}"))
    engine = app.state.services.engine
    wal = db.sqlite_wal(engine)
    assert wal is not None
    assert wal.autocheckpoint_pages == db.AUTOMATIC_CHECKPOINT_PAGES
    with TestClient(app) as client:
        assert wal.autocheckpoint_pages == 0
        assert client.get("/healthz").status_code == 200
        assert any(thread.name == "zhili-checkpointer" for thread in threading.enumerate())
    assert wal.autocheckpoint_pages == db.AUTOMATIC_CHECKPOINT_PAGES
    assert wal_bytes(path) == 0


def test_engines_of_one_off_commands_and_postgres_run_no_checkpointer(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'once.sqlite'}")
    with checkpointing(engine) as checkpointer:
        assert checkpointer is None
    engine.dispose()
    postgres = db.make_engine("postgresql+psycopg://zhili@127.0.0.1/never-connected", background_checkpoints=True)
    with checkpointing(postgres) as checkpointer:
        assert checkpointer is None


WRITER = """
import itertools, sys
from sqlalchemy import text
from zhili.core import db
from zhili.core.checkpoint import CheckpointPolicy, checkpointing

url, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
engine = db.make_engine(url, background_checkpoints=True)
with checkpointing(engine, CheckpointPolicy(pages=40, limit_pages=200, poll_s=0.005)):
    for n in itertools.islice(itertools.count(first), count or None):
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t (n, data) VALUES (:n, zeroblob(3000))"), {"n": n})
        print(n, flush=True)  # only once committed
"""


def writer(path: Path, *, first: int = 1, count: int = 0) -> subprocess.Popen[str]:
    """A process writing rows `first`, `first + 1`, ... (`count` of them, or until killed) with its own checkpointer."""
    return subprocess.Popen(  # noqa: S603 - our interpreter and script
        [sys.executable, "-c", WRITER, f"sqlite:///{path}", str(first), str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def test_a_process_killed_while_its_checkpointer_works_loses_no_committed_write(
    database: tuple[Path, Engine],
) -> None:
    path, engine = database
    engine.dispose()
    process = writer(path)
    assert process.stdout is not None
    committed = 0
    for line in process.stdout:
        if not line.strip().isdigit():  # the checkpointer's log line
            continue
        committed = int(line)
        if committed % 100 == 0:  # another process opening and closing the file meanwhile, as tools do
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as reader:
                assert reader.execute("SELECT count(*) FROM t").fetchone()[0] >= committed
        if committed >= 1_500:  # several checkpoints and catch-ups in
            break
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL, "it died of something else (SIGBUS: a lost lock)"
    with engine.connect() as connection:
        found = connection.execute(text("SELECT n FROM t ORDER BY n")).scalars().all()
        assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    assert found[:committed] == list(range(1, committed + 1))


def test_two_processes_with_a_checkpointer_each_write_side_by_side(database: tuple[Path, Engine]) -> None:
    path, engine = database
    engine.dispose()
    processes = [writer(path, first=1, count=800), writer(path, first=10_001, count=800)]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0]
    assert [[word for word in output.split() if word.isdigit()][-1] for output in outputs] == ["800", "10800"]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 1_600
        assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    assert wal_bytes(path) == 0
