"""Chromium's renderers counted in the test run's CPU: the processes Chromium leaves are adopted and reaped.

Chromium forks its renderers from a zygote process, and the browser process does not wait for the
zygote when it exits. Orphaned, the zygote was reaped by init, and with it the CPU of every renderer
it had reaped: `time make test` never saw it (with Chromium 156's full browser, about 115 CPU-s of
the browser tests' 184). While the session's browser runs, the test process is a child subreaper (Linux's
`prctl(PR_SET_CHILD_SUBREAPER)`): what its descendants orphan becomes its child, and once the browser
has closed it waits for those that ran Chromium, so that their CPU is added to its own children's.
"""

from __future__ import annotations

import ctypes
import os
import sys
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
# Process names (cut to 15 characters): Debian's `chromium` and `chromium-headless-shell` ("chromium-headle"),
# Google's `chrome`, and Playwright's own download of the shell, `headless_shell`.
CHROMIUM_NAMES = ("chrom", "headless")
REAP_SECONDS = 10.0


def adopt_orphans(*, is_on: bool = True) -> bool:
    """Make this process the subreaper of its descendants (or stop being one); False where that is not Linux's."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, int(is_on), 0, 0, 0) == 0)


def reap_chromium(timeout: float = REAP_SECONDS) -> int:
    """Wait for the adopted Chromium processes to end and reap them; how many were reaped."""
    deadline = time.monotonic() + timeout
    reaped = 0
    while pids := chromium_children():
        for pid in pids:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                continue
            reaped += bool(done)
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    return reaped


def chromium_children() -> list[int]:
    """This process's children whose command is Chromium (a zombie keeps its name in `/proc/PID/stat`)."""
    me = os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        if parent == me and name.startswith(CHROMIUM_NAMES):
            found.append(int(entry.name))
    return found
