"""The WAL checkpointer: copies an SQLite database's WAL into its file from a thread of its own, off the request path.

By default SQLite checkpoints in the commit that leaves the WAL longer than 1,000 pages: that request
copies the pages into the database file and waits for two fsyncs (1 % of commits, a quarter of all
commit time in the closed-loop benchmark, and the tail of intake). While a checkpointer runs, the
engine's connections leave checkpoints to it (`core.db.SqliteWal`), and every `poll_s` it reads the
WAL's length from the wal-index header (the `-shm` file, 100 bytes) and

- runs a `PASSIVE` checkpoint on its own connection when `pages` frames wait to be copied, or when
  some have waited `interval_s`. A passive checkpoint takes no lock that writers or readers wait
  for, and Python's sqlite3 lets go of the GIL while it copies and syncs: requests go on meanwhile;
- once the WAL is `limit_pages` long, catches up: a passive checkpoint as above, then one more for
  what was committed during it, with this process's writers held off (a few milliseconds). Only a
  writer that begins when the WAL is wholly copied starts it again from the beginning; under a load
  that never pauses for as long as a checkpoint takes, that never happens by itself (the WAL grew
  to 1 GB over the closed-loop benchmark), so the checkpointer makes the pause, once per
  `limit_pages` instead of SQLite's whole checkpoint in a commit once per 1,000 pages;
- when no one has written for `idle_s`, runs a `TRUNCATE` checkpoint, which empties the WAL file. It
  holds SQLite's write lock for a moment, so it takes this process's writers' lock first (only if
  free) and never waits for SQLite's: a writer of this process arriving meanwhile queues on the
  lock for well under a millisecond instead of sleeping in SQLite's busy handler;
- on `stop`, runs a last `TRUNCATE`, waiting up to `wait_s` for writers and readers to finish.

What stays in a request: the writer that starts the WAL again from the beginning syncs its header
(one fsync, as before). A checkpoint is not needed for durability: a committed transaction is in the
WAL, which survives a crash of the process (with `synchronous=NORMAL`, a power loss may still take
the last commits, as before). Several processes may each run a checkpointer on the same file:
SQLite runs one checkpoint at a time, and a passive one that finds another at work returns at once.

The wal-index header's layout is part of SQLite's file format (sqlite.org/walformat.html, 2.2):
`mxFrame` (frames in the WAL) at byte 16, `nBackfill` (frames already copied) at byte 96, native
byte order. It is read without a lock (a torn read only moves a checkpoint one poll earlier or
later) through a descriptor that stays open while the file exists (`_shm_descriptor`).
"""

from __future__ import annotations

import os
import sqlite3
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import structlog
from sqlalchemy import Engine

from zhili.core.db import AUTOMATIC_CHECKPOINT_PAGES, SqliteWal, sqlite_wal

log = structlog.get_logger(__name__)

_WAL_INDEX_VERSION = 3007000
_HEADER = struct.Struct("=I4xIB3xI")  # iVersion, iChange, isInit, mxFrame (bytes 0-19)
_BACKFILL = struct.Struct("=I")  # nBackfill at byte 96
_BACKFILL_AT = 96


@dataclass(frozen=True)
class WalLength:
    """How long the WAL is, in frames (pages), and how many of them are already in the database file."""

    frames: int
    backfilled: int

    @property
    def waiting(self) -> int:
        """Frames a checkpoint would copy."""
        return max(0, self.frames - self.backfilled)


def wal_length(database: str) -> WalLength | None:
    """The WAL's length from the wal-index header of `database`; None when there is no WAL in use."""
    descriptor = _shm_descriptor(f"{database}-shm")
    if descriptor is None:
        return None
    header = os.pread(descriptor, _BACKFILL_AT + _BACKFILL.size, 0)
    if len(header) < _BACKFILL_AT + _BACKFILL.size:
        return None
    version, _change, is_init, frames = _HEADER.unpack_from(header)
    if version != _WAL_INDEX_VERSION or not is_init:
        return None
    (backfilled,) = _BACKFILL.unpack_from(header, _BACKFILL_AT)
    return WalLength(frames, backfilled)


_SHM_DESCRIPTORS: dict[str, int] = {}
_SHM_LOCK = threading.Lock()


def _shm_descriptor(shm: str) -> int | None:
    """A descriptor of the `-shm` file, kept open for as long as the file exists.

    Closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's
    included (sqlite.org/howtocorrupt.html, 2.2): another process opening the database would then
    find the wal-index unowned and reset it, and this process would die of SIGBUS at its next read.
    So a descriptor is closed only once its file has been deleted (by the last connection to close
    the database, in whichever process), when no connection anywhere uses it.
    """
    with _SHM_LOCK:
        known = _SHM_DESCRIPTORS.get(shm)
        try:
            current: os.stat_result | None = Path(shm).stat()
        except FileNotFoundError:
            current = None
        if known is not None and (current is None or not os.path.samestat(os.fstat(known), current)):
            os.close(known)
            del _SHM_DESCRIPTORS[shm]
            known = None
        if known is None and current is not None:
            with suppress(FileNotFoundError):
                known = _SHM_DESCRIPTORS[shm] = os.open(shm, os.O_RDONLY)
        return known


@dataclass(frozen=True)
class CheckpointPolicy:
    """When the checkpointer copies the WAL (see the module's docstring)."""

    pages: int = AUTOMATIC_CHECKPOINT_PAGES
    limit_pages: int = 10 * AUTOMATIC_CHECKPOINT_PAGES
    poll_s: float = 0.05
    interval_s: float = 5.0
    idle_s: float = 1.0
    wait_s: float = 5.0


@dataclass(frozen=True)
class Checkpoint:
    """What `PRAGMA wal_checkpoint` answered: whether it was blocked, the WAL's frames, and those copied."""

    blocked: bool
    frames: int
    copied: int


class Checkpointer:
    """Checkpoints one SQLite file's WAL in a daemon thread until stopped, then empties it."""

    def __init__(self, wal: SqliteWal, policy: CheckpointPolicy | None = None) -> None:
        if wal.path is None:
            message = "an in-memory database has no WAL to checkpoint"
            raise ValueError(message)
        self.path = wal.path
        self.writers = wal.writers
        self.policy = policy or CheckpointPolicy()
        self.checkpoints = 0
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: sqlite3.Connection | None = None
        self._seen_frames = -1
        self._changed_at = self._checkpointed_at = time.monotonic()

    @property
    def is_running(self) -> bool:
        """True while the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (its connection is opened when there is a WAL to checkpoint)."""
        self._thread = threading.Thread(target=self._run, name="zhili-checkpointer", daemon=True)
        self._thread.start()
        log.info("checkpointer.start", database=self.path, pages=self.policy.pages)

    def stop(self) -> Checkpoint | None:
        """Stop the thread, then empty the WAL (waiting up to `wait_s`) and close the connection."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        final = None
        try:
            if wal_length(self.path) is not None:
                final = self._truncate(wait_s=self.policy.wait_s)
                if final is None or final.blocked:
                    log.warning("checkpointer.wal_left", database=self.path, checkpoint=final)
        except sqlite3.Error:
            log.exception("checkpointer.final_failed", database=self.path)
        finally:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            wal_length(self.path)  # lets go of the -shm file if closing the last connection deleted it
        log.info("checkpointer.stop", database=self.path, checkpoints=self.checkpoints)
        return final

    def _run(self) -> None:
        while not self._stopping.wait(self.policy.poll_s):
            try:
                self._step()
            except sqlite3.Error:  # a checkpoint is tried again at the next poll; nothing is lost meanwhile
                log.exception("checkpointer.failed", database=self.path)

    def _step(self) -> Checkpoint | None:
        """One poll: a checkpoint when the WAL has grown (catching up at its limit), a truncating one when idle."""
        length = wal_length(self.path)
        if length is None:
            return None
        now = time.monotonic()
        if length.frames != self._seen_frames:
            self._seen_frames, self._changed_at = length.frames, now
        policy = self.policy
        if length.frames >= policy.limit_pages and length.waiting:
            self._checkpoint("PASSIVE")
            return self._catch_up()
        if length.waiting >= policy.pages or (length.waiting and now - self._checkpointed_at >= policy.interval_s):
            return self._checkpoint("PASSIVE")
        if length.frames and now - self._changed_at >= policy.idle_s:
            self._changed_at = now  # blocked (a long reader, a writer elsewhere): try again after another idle spell
            return self._truncate(wait_s=0)
        return None

    def _catch_up(self) -> Checkpoint | None:
        """Copy what was committed during the last checkpoint, with this process's writers held off meanwhile."""
        if not self.writers.try_take(self, timeout=self.policy.wait_s):
            return None
        try:
            return self._checkpoint("PASSIVE")
        finally:
            self.writers.release(self)

    def _truncate(self, *, wait_s: float) -> Checkpoint | None:
        """Copy the whole WAL and truncate the file, holding this process's writers' lock meanwhile."""
        if not self.writers.try_take(self, timeout=wait_s):
            return None
        try:
            return self._checkpoint("TRUNCATE", wait_s=wait_s)
        finally:
            self.writers.release(self)

    def _checkpoint(self, mode: str, *, wait_s: float = 0) -> Checkpoint:
        if self._connection is None:
            # An existing file only (an app may start before its database answers: /readyz says so).
            # No busy handler: a checkpoint that cannot have a lock now is tried again later.
            uri = f"{Path(self.path).absolute().as_uri()}?mode=rw"
            self._connection = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=0)
        connection = self._connection
        if wait_s:
            connection.execute(f"PRAGMA busy_timeout={int(wait_s * 1000)}")
        try:
            blocked, frames, copied = connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        finally:
            if wait_s:
                connection.execute("PRAGMA busy_timeout=0")
        self._checkpointed_at = time.monotonic()
        self.checkpoints += 1
        return Checkpoint(bool(blocked), frames, copied)


@contextmanager
def checkpointing(engine: Engine, policy: CheckpointPolicy | None = None) -> Iterator[Checkpointer | None]:
    """Run a checkpointer for the engine's SQLite file while the block runs (`zhili serve`, `zhili worker`).

    Only for an engine made with `make_engine(..., background_checkpoints=True)`; for any other
    (PostgreSQL, in memory, SQLite's automatic checkpoints) it does nothing and yields None.
    """
    wal = sqlite_wal(engine)
    if wal is None or wal.path is None or not wal.background_checkpoints:
        yield None
        return
    checkpointer = Checkpointer(wal, policy)
    checkpointer.start()
    wal.checkpointer_started()
    try:
        yield checkpointer
    finally:
        # Commits checkpoint again before the last checkpoint, so nothing grows the WAL unattended.
        wal.checkpointer_stopped()
        checkpointer.stop()
