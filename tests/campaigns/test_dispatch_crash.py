"""Kill `zhili campaigns dispatch` with SIGKILL at any moment: the campaign is there whole, or not at all.

The demo world is copied to a scratch SQLite file and the typhoon template is dispatched to 龙游县
(11,124 recipients) in a subprocess, killed after a varying delay. Whatever the moment, the database
holds either no campaign, or one campaign with all its tasks, inbox items and sweep timers.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from tests.conftest import World

ZHILI = str(Path(sys.executable).parent / "zhili")
RECIPIENTS = 263 + 561 + 10_300


def _copy(world: World, target: Path) -> None:
    source_path = world.url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(source_path)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)


def _state(path: Path) -> tuple[int, int, int, int]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        campaigns = db.execute("SELECT count(*) FROM campaigns").fetchone()[0]
        tasks = db.execute("SELECT count(*) FROM campaign_tasks").fetchone()[0]
        inbox = db.execute(
            "SELECT count(*) FROM inbox_items JOIN notifications n ON n.id = notification_id "
            "WHERE n.topic = 'campaign.task'"
        ).fetchone()[0]
        sweeps = db.execute("SELECT count(*) FROM timers WHERE kind = 'campaign.sweep'").fetchone()[0]
    return campaigns, tasks, inbox, sweeps


def _dispatch(database: Path) -> subprocess.Popen[bytes]:
    command = [
        ZHILI,
        "campaigns",
        "dispatch",
        "--template",
        "typhoon",
        "--division",
        "330825",
        "--database",
        str(database),
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def test_a_killed_dispatch_leaves_the_whole_campaign_or_none(sqlite_world: World, tmp_path: Path) -> None:
    database = tmp_path / "whole.sqlite"
    _copy(sqlite_world, database)
    started = time.monotonic()
    assert _dispatch(database).wait(timeout=120) == 0
    whole = time.monotonic() - started
    assert _state(database)[:3] == (1, RECIPIENTS, RECIPIENTS)

    outcomes = []
    for share in (0.75, 0.9, 0.97):  # the dispatch itself runs at the end, after the imports
        database = tmp_path / f"killed-{share}.sqlite"
        _copy(sqlite_world, database)
        process = _dispatch(database)
        time.sleep(whole * share)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        campaigns, tasks, inbox, sweeps = _state(database)
        outcomes.append(campaigns)
        if campaigns == 0:
            assert (tasks, inbox, sweeps) == (0, 0, 0)
        else:
            assert (campaigns, tasks, inbox) == (1, RECIPIENTS, RECIPIENTS)
            assert sweeps > 0
    assert 0 in outcomes  # at least one kill fell before the commit
