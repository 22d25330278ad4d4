"""`campaigns/visibility.py` alone decides what a person sees of campaigns: a scan of the other modules' source.

Outside it, no campaigns module filters by or tests the actor's read scope, builds the task
visibility from the managing blocks, or parses a campaign's scope from JSON. Write checks
(`write_scope`) are not visibility and stay where they are; `lifecycle.parties_of` (pure) decides
who verifies a task, not who sees it.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

CAMPAIGNS = Path(str(resources.files("zhili.campaigns")))
OWNER = "visibility.py"
FORBIDDEN = {
    "read scope as a filter or a test": re.compile(
        r"(?<!write_)scope\.(where|reaches_place|reaches_unit|require_place|require_unit|division_prefixes|is_everything)\b"
    ),
    "a scope test outside the write scope": re.compile(r"(?<!write_scope)\.(reaches_place|reaches_unit)\("),
    "task visibility from managing blocks": re.compile(r"managing\.where\("),
    "campaign scope parsed from JSON": re.compile(r"json\.loads\([^)]*scope"),
    "campaign scope rows queried for who sees what": re.compile(r"CampaignScopeDivision\.division_code\.startswith"),
}
# (module, the line's text): why it is not visibility.
ALLOWED = {
    ("lifecycle.py", "reach.managing.reaches_place(parent_code(division_code))"): "who verifies a task (parties), pure",
}


def hits(source: str, module: str) -> list[tuple[str, str]]:
    """(rule, line) for each forbidden use in a module's source, less the allowed ones."""
    found = []
    for line in source.splitlines():
        for rule, pattern in FORBIDDEN.items():
            allowed = any(module == name and text in line for name, text in ALLOWED)
            if pattern.search(line) and not allowed:
                found.append((rule, line.strip()))
    return found


@pytest.mark.parametrize(
    "module",
    sorted(
        p.relative_to(CAMPAIGNS).as_posix() for p in CAMPAIGNS.rglob("*.py") if p.name != OWNER or p.parent != CAMPAIGNS
    ),
)
def test_only_the_visibility_module_decides_who_sees_what(module: str) -> None:
    assert hits((CAMPAIGNS / module).read_text(encoding="utf-8"), module) == []


def test_the_scan_finds_what_it_forbids() -> None:
    owner = hits((CAMPAIGNS / OWNER).read_text(encoding="utf-8"), OWNER)
    assert {rule for rule, _line in owner} >= {
        "read scope as a filter or a test",
        "task visibility from managing blocks",
    }
    leaky = 'rows.where(actor.scope.where(Task.division_code))\nif json.loads(campaign.scope)["divisions"]:\n'
    assert [rule for rule, _line in hits(leaky, "board.py")] == [
        "read scope as a filter or a test",
        "campaign scope parsed from JSON",
    ]
    assert hits("if not actor.write_scope.reaches_place(code):", "closing.py") == []
