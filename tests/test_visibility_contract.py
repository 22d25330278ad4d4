"""One owner for who-sees-what: only each domain's visibility module applies the read scope.

A source scan, because the rule is about where code lives: `.scope.where(`, `.scope.reaches_…(`
and `.scope.require_…(` may appear only in `core/auth.py` (which defines them) and the domains'
`visibility.py`. Writes (`.write_scope`) are checked by `org.permissions` and the services.
"""

from __future__ import annotations

import re
from pathlib import Path

import zhili

SOURCE = Path(zhili.__file__).parent
OWNERS = frozenset(
    {
        "core/auth.py",
        "org/visibility.py",
        "cases/visibility.py",
        "campaigns/visibility.py",
        "command_groups/visibility.py",
        "early_warning/visibility.py",
        "analytics/visibility.py",
        "alerts/visibility.py",
    }
)
READ_SCOPE = re.compile(r"(?<!write_)scope\s*\.\s*(where|reaches_place|reaches_unit|require_place|require_unit)\s*\(")


def _offenders() -> list[str]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        if relative in OWNERS:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if READ_SCOPE.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_only_the_visibility_modules_apply_the_read_scope() -> None:
    assert _offenders() == []


def test_the_scan_finds_a_scope_applied_elsewhere() -> None:
    assert READ_SCOPE.search("stmt.where(actor.scope.where(Division.code))")
    assert READ_SCOPE.search("if not actor.scope.reaches_place(code):")
    assert READ_SCOPE.search("reach.managing.scope.require_unit(code, None, what='x')")
    assert not READ_SCOPE.search("actor.write_scope.reaches_unit(code, None)")
