"""Kill `zhili campaigns dispatch` with SIGKILL at any moment: each campaign is there whole, or not at all.

A copy of the demo world (SQLite: the backup API; PostgreSQL: CREATE DATABASE … TEMPLATE) receives
the typhoon template for 龙游县 (11,124 recipients) from a subprocess: once to the end, to time it
(its CPU time), then several times killed at growing shares of that time. Whatever the moment, every
new campaign has all its tasks, inbox items and sweep timers, and a kill before the commit left
nothing behind.
"""

from __future__ import annotations

import resource
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine, text
from tests.conftest import World

from zhili.core.db import make_engine

ZHILI = str(Path(sys.executable).parent / "zhili")
RECIPIENTS = 263 + 561 + 10_300
SHARES = (0.3, 0.6, 0.8, 0.9, 0.95)  # of a whole run; the dispatch itself runs at the end, after the imports


def _sqlite_copy(world: World, target: Path) -> str:
    with (
        closing(sqlite3.connect(world.url.removeprefix("sqlite:///"))) as source,
        closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy)
    return f"sqlite:///{target}"


def _postgres_copy(world: World, name: str) -> str:
    """A copy of the PostgreSQL world (CREATE DATABASE … TEMPLATE: a file copy, no rebuild)."""
    world.engine.dispose()  # the template may have no open connections
    base, source = world.url.rsplit("/", 1)
    admin = make_engine(f"{base}/postgres").execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    admin.dispose()
    return f"{base}/{name}"


def _dispatch(url: str, key: str) -> subprocess.Popen[bytes]:
    command = [ZHILI, "campaigns", "dispatch", "--template", "typhoon", "--division", "330825", "--url", url]
    command += ["--source-key", key]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def _cpu_seconds_of(process: subprocess.Popen[bytes]) -> float:
    """The CPU time a run to the end took (it succeeded): unlike its wall time, not stretched by a busy machine.

    A wall time stretched by other work on the machine put every kill after the commit.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert process.wait(timeout=180) == 0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def _campaigns(engine: Engine) -> list[tuple[int, int, int, int]]:
    """Per campaign: tasks, inbox items of its notifications, sweep timers."""
    query = text(
        "SELECT c.id,"
        " (SELECT count(*) FROM campaign_tasks t WHERE t.campaign_id = c.id),"
        " (SELECT count(*) FROM inbox_items i JOIN notifications n ON n.id = i.notification_id"
        "  WHERE n.subject = 'campaign:' || c.id),"
        " (SELECT count(*) FROM timers m WHERE m.kind = 'campaign.sweep' AND m.subject_id = c.id)"
        " FROM campaigns c"
    )
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]  # type: ignore[misc]


def test_a_killed_dispatch_leaves_each_campaign_whole_or_absent(world: World, tmp_path: Path) -> None:
    if world.backend == "sqlite":
        url = _sqlite_copy(world, tmp_path / "crash.sqlite")
    else:
        url = _postgres_copy(world, world.url.rsplit("/", 1)[1] + "_dispatch_crash")
    engine = make_engine(url)
    existing = {row[0] for row in _campaigns(engine)}
    whole = _cpu_seconds_of(_dispatch(url, "whole"))
    for share in SHARES:
        process = _dispatch(url, f"killed-{share}")
        time.sleep(whole * share)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    found = [row for row in _campaigns(engine) if row[0] not in existing]
    engine.dispose()
    assert found, "the dispatch run to the end left no campaign"
    for _id, tasks, inbox, sweeps in found:
        assert (tasks, inbox) == (RECIPIENTS, RECIPIENTS)
        assert sweeps > 0
    assert len(found) < 1 + len(SHARES), "no kill fell before a commit"
