"""The scope oracle: who may see what, written from docs/reference/data-scope.md, not from the app's code.

It reads the world with plain SQL over the tables and decides in plain Python, so a bug in
`core.auth.Scope`, `cases.parties` or the campaign visibility module cannot hide in it. The rules:

- A login's grants come from its person's posts: a territorial post is a **block** (its division
  and the whole subtree); a department post is a **strip** (the department's division subtree, and
  only that department's unit rows); an administrator (account or post) reaches everything.
- **Places** (divisions, grids) are reached by any grant's prefix, strip or block.
- **Units** (departments, posts) are reached by a block's prefix, or by a strip's prefix *and* its
  own department. A **person** is visible when one of their posts is reached as a unit.
- **Cases** (handle-a-case.md, ADR 0007): by place for blocks; for strips as the lead unit inside
  its own area, as the unit routed to, or as a unit asked to help; and by the account that reported it.
- **Campaigns** (run-a-campaign.md): when one of the campaign's divisions and one of the grants
  overlap (either lies under the other), or the campaign gave the login a task.
- **Enterprises** (use-early-warning.md): by place for blocks, and for strips of a labour unit (人社,
  the wage-arrears matter's lead kind) over the firm's division; other strips never see the register.
- **Tasks**: the recipient, the post named as the task's supervisor, and the managing posts
  (centre, township command room, village committee) whose division holds the task's division.
- **Names and phones** may appear only for people visible to the login, the supervisor a visible
  post names ("who to call"), and what the record being read names by itself (a visible case's
  timeline actors, reporter and grid contact; the grid contacts a place shows to blocks).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Connection, text

TERRITORIAL_MANAGERS = frozenset({"centre_staff", "township_command", "village_cadre"})
PERSON_ACTOR = re.compile(r"person:(\d+):")
PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")


@dataclass(frozen=True)
class Grant:
    """One post's reach: a prefix, with the department for a strip."""

    prefix: str
    department_id: int | None = None


@dataclass(frozen=True)
class Login:
    """A demo login as the oracle sees it."""

    username: str
    account_id: int
    person_id: int | None
    everything: bool
    grants: tuple[Grant, ...]
    post_ids: frozenset[int]
    units: frozenset[int]
    managing: tuple[str, ...]

    def reaches_place(self, code: str) -> bool:
        """Any grant's prefix holds the division."""
        return self.everything or any(code.startswith(g.prefix) for g in self.grants)

    def reaches_unit(self, code: str, department_id: int | None) -> bool:
        """A block's prefix, or a strip's prefix and its own department."""
        return self.everything or any(
            code.startswith(g.prefix) and g.department_id in (None, department_id) for g in self.grants
        )

    @property
    def prefixes(self) -> tuple[str, ...]:
        """The roots of the grants ("" for everything)."""
        return ("",) if self.everything else tuple(sorted({g.prefix for g in self.grants}))


@dataclass
class Facts:
    """The rows the oracle decides on, read once."""

    conn: Connection
    people: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    posts: dict[int, tuple[int, str, str, int | None]] = field(default_factory=dict)
    supervisors: dict[int, int] = field(default_factory=dict)
    departments: dict[int, str] = field(default_factory=dict)
    cases: dict[int, tuple[str, int | None, int, int | None, int | None, int | None]] = field(default_factory=dict)
    helpers: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    tasks: dict[int, tuple[int, int, int | None, str]] = field(default_factory=dict)
    campaign_divisions: dict[int, tuple[str, ...]] = field(default_factory=dict)
    enterprises: dict[int, str] = field(default_factory=dict)
    groups: dict[int, str] = field(default_factory=dict)
    group_members: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    labour_units: frozenset[int] = frozenset()

    def load(self) -> Facts:
        """Read people, posts, units, cases, help requests and tasks with plain SQL."""
        run = self.conn.execute
        self.people = {r[0]: (r[1], r[2]) for r in run(text("SELECT id, name, phone FROM people"))}
        rows = run(text("SELECT id, person_id, role, division_code, department_id, supervisor_id FROM positions"))
        for post_id, person_id, role, division, department_id, supervisor in rows:
            self.posts[post_id] = (person_id, role, division, department_id)
            if supervisor is not None:
                self.supervisors[post_id] = supervisor
        self.departments = {r[0]: r[1] for r in run(text("SELECT id, division_code FROM departments"))}
        self.cases = {
            r[0]: (r[1], r[2], r[3], r[4], r[5], r[6])
            for r in run(
                text(
                    "SELECT id, place_code, lead_unit_id, routed_unit_id, originator_account_id,"
                    " originator_person_id, contact_position_id FROM cases"
                )
            )
        }
        for case_id, unit_id in run(text("SELECT case_id, unit_id FROM collaboration_requests")):
            self.helpers[case_id].add(unit_id)
        self.tasks = {
            r[0]: (r[1], r[2], r[3], r[4])
            for r in run(
                text("SELECT id, campaign_id, person_id, supervisor_position_id, division_code FROM campaign_tasks")
            )
        }
        scoped: defaultdict[int, list[str]] = defaultdict(list)
        for campaign_id, code in run(text("SELECT campaign_id, division_code FROM campaign_scope_divisions")):
            scoped[campaign_id].append(code)
        self.campaign_divisions = {campaign_id: tuple(codes) for campaign_id, codes in scoped.items()}
        self.enterprises = {r[0]: r[1] for r in run(text("SELECT id, division_code FROM enterprises"))}
        self.groups = {r[0]: r[1] for r in run(text("SELECT id, area_code FROM command_groups"))}
        members = run(text("SELECT group_id, person_id FROM command_group_members WHERE left_at IS NULL"))
        for group_id, person_id in members:
            self.group_members[group_id].add(person_id)
        labour = run(text("SELECT id FROM departments WHERE kind_code = 'hrss'"))
        self.labour_units = frozenset(r[0] for r in labour)
        return self

    @cached_property
    def posts_of(self) -> dict[int, list[int]]:
        """Post ids per person."""
        found: dict[int, list[int]] = defaultdict(list)
        for post_id, (person_id, *_rest) in self.posts.items():
            found[person_id].append(post_id)
        return found

    def login(self, username: str) -> Login:
        """The grants of a login, from its account and its person's posts."""
        account_id, person_id, is_admin = self.conn.execute(
            text("SELECT id, person_id, is_admin FROM accounts WHERE username = :u"), {"u": username}
        ).one()
        grants: list[Grant] = []
        everything = bool(is_admin)
        own = self.posts_of.get(person_id, []) if person_id is not None else []
        for post_id in own:
            _person, role, division, department_id = self.posts[post_id]
            everything = everything or role == "admin"
            if department_id is None:
                grants.append(Grant(division))
            else:
                grants.append(Grant(self.departments[department_id], department_id))
        managing = tuple(self.posts[p][2] for p in own if self.posts[p][1] in TERRITORIAL_MANAGERS)
        units = frozenset(self.posts[p][3] for p in own if self.posts[p][3] is not None)
        return Login(username, account_id, person_id, everything, tuple(grants), frozenset(own), units, managing)  # type: ignore[arg-type]

    # Rules -------------------------------------------------------------------------------------------

    def person_visible(self, login: Login, person_id: int) -> bool:
        """One of the person's posts is reached as a unit."""
        if person_id not in self.posts_of:
            return False
        return login.everything or any(
            login.reaches_unit(self.posts[p][2], self.posts[p][3]) for p in self.posts_of.get(person_id, [])
        )

    def department_visible(self, login: Login, department_id: int) -> bool:
        """The unit exists and is reached as a unit."""
        code = self.departments.get(department_id)
        return code is not None and login.reaches_unit(code, department_id)

    def case_visible(self, login: Login, case_id: int) -> bool:
        """By place (blocks), as lead in its area / routed / helping unit (strips), or as reporter."""
        if case_id not in self.cases:
            return False
        place, lead, routed, account, _person, _contact = self.cases[case_id]
        return (
            login.reaches_unit(place, lead)
            or routed in login.units
            or bool(self.helpers.get(case_id, set()) & login.units)
            or account == login.account_id
        )

    def enterprise_visible(self, login: Login, enterprise_id: int) -> bool:
        """A block over the firm's division, or a labour unit's strip over it."""
        place = self.enterprises.get(enterprise_id)
        if place is None:
            return False
        return login.everything or any(
            place.startswith(g.prefix) and (g.department_id is None or g.department_id in self.labour_units)
            for g in login.grants
        )

    def campaign_visible(self, login: Login, campaign_id: int) -> bool:
        """A campaign division overlaps a grant (either way), or the campaign gave the login a task."""
        divisions = self.campaign_divisions.get(campaign_id)
        if divisions is None:
            return False
        if login.everything:
            return True
        overlaps = any(d.startswith(p) or p.startswith(d) for d in divisions for p in login.prefixes)
        return overlaps or any(t[0] == campaign_id and t[1] == login.person_id for t in self.tasks.values())

    def group_visible(self, login: Login, group_id: int) -> bool:
        """Command groups: current members, and blocks (not strips) over the group's area."""
        if group_id not in self.groups:
            return False
        blocks = any(self.groups[group_id].startswith(g.prefix) for g in login.grants if g.department_id is None)
        return login.everything or blocks or login.person_id in self.group_members[group_id]

    def task_visible(self, login: Login, task_id: int) -> bool:
        """The recipient, the supervising post, managing posts over the task's division."""
        if task_id not in self.tasks:
            return False
        _campaign, person_id, supervisor, division = self.tasks[task_id]
        return (
            login.everything
            or person_id == login.person_id
            or supervisor in login.post_ids
            or any(division.startswith(m) for m in login.managing)
        )

    # What a case names by itself ----------------------------------------------------------------------

    def case_record_people(self, case_id: int) -> set[int]:
        """People the case's own record names: timeline actors, the reporter, the grid contact."""
        _place, _lead, _routed, _account, person, contact = self.cases[case_id]
        named = {int(m) for (actor,) in self._events(case_id) for m in PERSON_ACTOR.findall(actor)}
        if person is not None:
            named.add(person)
        if contact is not None:
            named.add(self.posts[contact][0])
        return named

    def _events(self, case_id: int) -> list[tuple[str]]:
        rows = self.conn.execute(text("SELECT actor FROM case_events WHERE case_id = :c"), {"c": case_id})
        return [(r[0],) for r in rows]

    def contacts_shown(self, login: Login, grid_code: str) -> set[int]:
        """The grid contacts a place shows: every department's to a block, its own to a strip."""
        rows = self.conn.execute(
            text("SELECT department_id, position_id FROM grid_contacts WHERE grid_code = :g"), {"g": grid_code}
        )
        return {self.posts[post][0] for dept, post in rows if login.reaches_unit(grid_code, dept)}

    def visible_people(self, login: Login) -> set[int]:
        """Every person the login may see, the login's own person, and the supervisor a visible post names."""
        reached = [p for p, (_person, _role, code, dept) in self.posts.items() if login.reaches_unit(code, dept)]
        seen = {self.posts[p][0] for p in reached}
        seen |= {self.posts[self.supervisors[p]][0] for p in reached if p in self.supervisors}
        if login.person_id is not None:
            seen.add(login.person_id)
        return seen
