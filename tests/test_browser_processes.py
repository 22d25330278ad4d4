"""The CPU of a process Chromium orphans is counted in the test run's: it is adopted and reaped."""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import browser_processes
from tests.conftest import require_or_skip

BUSY = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"


@pytest.fixture
def subreaper() -> Iterator[None]:
    if not browser_processes.adopt_orphans():
        # CI counts Chromium's CPU this way: there, where the browser is required, it must work.
        require_or_skip("ZHILI_REQUIRE_BROWSER", "a child subreaper needs Linux")
    yield
    browser_processes.adopt_orphans(is_on=False)


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def test_an_orphaned_chromium_process_is_reaped_and_its_cpu_counted(subreaper: None, tmp_path: Path) -> None:
    # A Python named like Chromium's zygote, started in the background by a shell that exits at once:
    # orphaned, as the zygote is when the browser closes.
    fake = tmp_path / "chromium-zygote"
    shutil.copy(Path(sys.executable).resolve(), fake)
    before = children_cpu()
    # Its output is captured: `run` returns once the orphan has closed it (it has run, under its name).
    command = ["/bin/sh", "-c", f'"{fake}" -c "$0" & exit 0', BUSY]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603 - our own command

    assert browser_processes.reap_chromium() == 1
    assert not browser_processes.chromium_children()
    assert children_cpu() - before >= 0.25
