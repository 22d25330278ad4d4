"""The ids each operation is called with, chosen from the world so that every login meets some inside
and some outside its scope, and what the oracle expects for each (status, who may be named).

A probe is one URL. `visible(login)` says whether the thing is there for that login (200), else the
operation's refusal (404, or 403 for the administrators' logs); `named(login)` adds the people the
record names by itself to those the login may see anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import text
from tests.scope.oracle import Facts, Login

NOWHERE = 9_999_999  # an id that exists nowhere (below 2**31, so the edge accepts it)


def _nobody(_login: Login) -> set[int]:
    return set()


@dataclass(frozen=True)
class Probe:
    """One call of an operation and the oracle's view of it."""

    url: str
    visible: Callable[[Login], bool]
    named: Callable[[Login], set[int]] = field(default=_nobody)
    refused: Callable[[Login], int] = field(default=lambda _login: 404)


@dataclass(frozen=True)
class Seeded:
    """What the matrix adds to the demo world: campaigns, task photos, a webhook, reported cases."""

    campaigns: tuple[int, ...]
    divisions: dict[str, int]
    task_photos: dict[int, int]
    webhook: int
    outbox: int
    cases: list[int]
    groups: tuple[int, ...] = ()
    group_photos: dict[int, int] = field(default_factory=dict)
    alerts: dict[int, tuple[str, ...]] = field(default_factory=dict)  # an alert and the divisions it resolved to


def _first(values: list[int]) -> list[int]:
    return values[:1]


def _ends(values: list[int]) -> list[int]:
    return sorted({values[0], values[len(values) // 2]}) if values else []


class Pools:
    """The probes of every covered operation, built once per world (the ids they share, once per world too)."""

    def __init__(self, world: Facts, logins: list[Login], seeded: Seeded) -> None:
        self.world = world
        self.logins = [login for login in logins if not login.everything]
        self.seeded = seeded
        rows = world.conn.execute(text("SELECT code, parent_code FROM divisions"))
        self.divisions: dict[str, str | None] = {row[0]: row[1] for row in rows}

    # Organisation -------------------------------------------------------------------------------

    @cached_property
    def division_codes(self) -> list[str]:
        """Each block's first child and each strip's root, their parents, a sibling; the province; unknown codes."""
        children: dict[str, list[str]] = {}
        for code, parent in sorted(self.divisions.items()):
            children.setdefault(parent or "", []).append(code)
        codes = {"33", "339999999", "330825101999"}  # the province, two codes that name nothing
        for login in self.logins:
            for root in login.prefixes:
                parent = self.divisions.get(root) or ""
                codes.add(root if login.units else children.get(root, [root])[0])
                codes.add(parent)
                codes |= set([c for c in children.get(parent, []) if c != root][:1])
        return sorted(code for code in codes if code)

    def divisions_probes(self, suffix: str) -> list[Probe]:
        """`/org/divisions/{code}` and its sub-resources: a place."""
        known = self.divisions
        return [
            Probe(f"/api/v1/org/divisions/{code}{suffix}", lambda lg, c=code: c in known and lg.reaches_place(c))
            for code in self.division_codes
        ]

    def contacts_probes(self) -> list[Probe]:
        """Grid contacts: the place must be reached; the contacts it shows are named."""
        world, known = self.world, self.divisions
        return [
            Probe(
                f"/api/v1/org/divisions/{code}/contacts",
                lambda lg, c=code: c in known and lg.reaches_place(c),
                lambda lg, c=code: world.contacts_shown(lg, c),
            )
            for code in self.division_codes
        ]

    @cached_property
    def department_ids(self) -> list[int]:
        """Each strip's unit; per root a unit inside it and one in the county around it; an unknown id."""
        found = {NOWHERE}
        units = sorted(self.world.departments.items())
        for login in self.logins:
            found |= login.units
            for root in login.prefixes:
                found |= set(_first([d for d, code in units if code.startswith(root)]))
                found |= set(_first([d for d, code in units if code == root[:6] and d not in login.units]))
        return sorted(found)

    def department_probes(self, suffix: str) -> list[Probe]:
        """`/org/departments/{id}` and its grids: a unit."""
        world = self.world
        return [
            Probe(f"/api/v1/org/departments/{d}{suffix}", lambda lg, d=d: world.department_visible(lg, d))
            for d in self.department_ids
        ]

    def person_probes(self) -> list[Probe]:
        """Per login: itself, another visible person, a person of its county it may not see."""
        world = self.world
        return [Probe(f"/api/v1/org/people/{p}", lambda lg, p=p: world.person_visible(lg, p)) for p in self.person_ids]

    @cached_property
    def person_ids(self) -> list[int]:
        """The people of `person_probes`."""
        world = self.world
        found = {NOWHERE}
        everyone = sorted(world.posts_of)
        for login in self.logins:
            if login.person_id is not None:
                found.add(login.person_id)
            county = login.prefixes[0][:6]
            near = [p for p in everyone if any(world.posts[q][2].startswith(county) for q in world.posts_of[p])]
            found |= set(_first([p for p in near if p != login.person_id and world.person_visible(login, p)]))
            found |= set(_first([p for p in near if not world.person_visible(login, p)]))
        return sorted(found)

    def enforcement_probes(self) -> list[Probe]:
        """Which unit enforces at a place: the place must be reached."""
        places = ("330802006", "330802006001001", "330825101", "330803")
        return [
            Probe(
                f"/api/v1/org/enforcement-items/ENF-ILLEGAL-BUILD/unit?division={code}",
                lambda lg, c=code: lg.reaches_place(c),
            )
            for code in places
        ]

    # Cases --------------------------------------------------------------------------------------

    @cached_property
    def case_ids(self) -> list[int]:
        """Per login two visible cases and one of its county it may not see; cases seen only by help,
        by routing, by their reporter, and a lead outside its own area."""
        world = self.world
        ids = sorted(world.cases)
        found = {NOWHERE, *self.seeded.cases}
        for login in self.logins:
            county = login.prefixes[0][:6]
            found |= set(_ends([c for c in ids if world.case_visible(login, c)]))
            near = [c for c in ids if world.cases[c][0].startswith(county)]
            found |= set(_first([c for c in near if not world.case_visible(login, c)]))
            found |= set(_first([c for c in ids if world.helpers.get(c, set()) & login.units]))
        found |= set(_first([c for c in ids if world.cases[c][1] not in (None, world.cases[c][2])]))
        found |= set(
            _first(
                [
                    c
                    for c in ids
                    if world.cases[c][1] and not world.cases[c][0].startswith(world.departments[world.cases[c][1]])
                ]
            )
        )
        return sorted(found)

    def case_probes(self) -> list[Probe]:
        """`/cases/{id}`: the case names its own parties."""
        world = self.world
        return [
            Probe(
                f"/api/v1/cases/{c}",
                lambda lg, c=c: world.case_visible(lg, c),
                lambda _lg, c=c: world.case_record_people(c) | {-c},
            )
            for c in self.case_ids
        ]

    def enterprise_probes(self) -> list[Probe]:
        """`/enterprises/{id}`: per login the first firm it sees and the first of its county it does not."""
        world = self.world
        ids = sorted(world.enterprises)
        found = {NOWHERE, *ids[:1]}
        for login in self.logins:
            county = login.prefixes[0][:6]
            found |= set(_first([e for e in ids if world.enterprise_visible(login, e)]))
            near = [e for e in ids if world.enterprises[e].startswith(county)]
            found |= set(_first([e for e in near if not world.enterprise_visible(login, e)]))
        return [
            Probe(f"/api/v1/enterprises/{e}", lambda lg, e=e: world.enterprise_visible(lg, e)) for e in sorted(found)
        ]

    def case_photo_probes(self) -> list[Probe]:
        """`/cases/photos/{id}`: seen with its case."""
        world = self.world
        chosen = [c for c in self.case_ids if c != NOWHERE][::2]
        listed = ",".join(str(c) for c in chosen)
        rows = world.conn.execute(
            text(f"SELECT MIN(id), case_id FROM case_photos WHERE case_id IN ({listed}) GROUP BY case_id")  # noqa: S608 - ints
        )
        probes = [
            Probe(f"/api/v1/cases/photos/{photo}", lambda lg, c=case: world.case_visible(lg, c))
            for photo, case in sorted((r[0], r[1]) for r in rows)
        ]
        return [*probes, Probe(f"/api/v1/cases/photos/{NOWHERE}", lambda _lg: False)]

    # Campaigns and tasks ------------------------------------------------------------------------

    def campaign_probes(self, suffix: str) -> list[Probe]:
        """`/campaigns/{id}` and everything under it: the seeded campaigns and an unknown one."""
        world = self.world
        return [
            Probe(f"/api/v1/campaigns/{c}{suffix}", lambda lg, c=c: world.campaign_visible(lg, c))
            for c in (*self.seeded.campaigns, NOWHERE)
        ]

    # Command groups -------------------------------------------------------------------------------

    def group_probes(self, suffix: str) -> list[Probe]:
        """`/groups/{id}` and its timeline: the seeded groups and an unknown one; they name the group's members."""
        world = self.world
        return [
            Probe(
                f"/api/v1/groups/{g}{suffix}",
                lambda lg, g=g: world.group_visible(lg, g),
                lambda _lg, g=g: set(world.group_members[g]),
            )
            for g in (*self.seeded.groups, NOWHERE)
        ]

    def group_photo_probes(self) -> list[Probe]:
        """`/groups/{id}/photos/{photo}`: seen with its group; a photo asked under another group is unknown."""
        world = self.world
        probes = [
            Probe(f"/api/v1/groups/{g}/photos/{photo}", lambda lg, g=g: world.group_visible(lg, g))
            for photo, g in sorted(self.seeded.group_photos.items())
        ]
        others = [g for g in self.seeded.groups if g not in self.seeded.group_photos.values()]
        wrong = [
            Probe(f"/api/v1/groups/{g}/photos/{p}", lambda _lg: False) for p in self.seeded.group_photos for g in others
        ]
        return [*probes, *wrong[:1]]

    def task_ids(self) -> list[int]:
        """Per login its own task, another it sees, and one of the same campaign it may not see."""
        world = self.world
        ids = sorted(world.tasks)
        found = {NOWHERE}
        for login in self.logins:
            own = [t for t in ids if world.tasks[t][1] == login.person_id]
            found |= set(_first(own))
            found |= set(_first([t for t in ids if t not in own and world.task_visible(login, t)]))
            campaigns = {world.tasks[t][0] for t in own} or set(self.seeded.campaigns)
            found |= set(
                _first([t for t in ids if world.tasks[t][0] in campaigns and not world.task_visible(login, t)])
            )
        return sorted(found)

    def task_probes(self) -> list[Probe]:
        """`/tasks/{id}`: the recipient, the level above."""
        world = self.world
        return [Probe(f"/api/v1/tasks/{t}", lambda lg, t=t: world.task_visible(lg, t)) for t in self.task_ids()]

    def task_photo_probes(self) -> list[Probe]:
        """`/tasks/photos/{id}`: seen with its task."""
        world = self.world
        probes = [
            Probe(f"/api/v1/tasks/photos/{photo}", lambda lg, t=task: world.task_visible(lg, t))
            for photo, task in sorted(self.seeded.task_photos.items())
        ]
        return [*probes, Probe(f"/api/v1/tasks/photos/{NOWHERE}", lambda _lg: False)]

    # Catalogs and administrators' logs ------------------------------------------------------------

    def assessment_probes(self) -> list[Probe]:
        """A breakdown (of a closed month): a county or township as a place, a unit as a unit, a person by name."""
        known, world = self.divisions, self.world
        lines = "lines?month=2026-05"
        found = [
            Probe(
                f"/api/v1/assessment/subjects/division/{code}/{lines}",
                lambda lg, c=code: c in known and len(c) in {6, 9} and lg.reaches_place(c),
            )
            for code in self.division_codes
        ]
        found += [
            Probe(
                f"/api/v1/assessment/subjects/unit/{d}/{lines}",
                lambda lg, d=d: world.department_visible(lg, d) and len(world.departments[d]) >= 6,
            )
            for d in self.department_ids
        ]
        people = [str(p) for p in self.person_ids]
        found += [
            Probe(
                f"/api/v1/assessment/subjects/person/{p}/{lines}&county=330825",
                lambda lg, p=int(p): world.person_visible(lg, p) and self._works_in(lg, "330825"),
            )
            for p in people
        ]
        return found

    @staticmethod
    def _works_in(login: Login, county: str) -> bool:
        """The login works in the county or over it (the assessment's published ranking)."""
        return login.everything or any(county.startswith(p) or p.startswith(county) for p in login.prefixes)

    def alert_probes(self, suffix: str) -> list[Probe]:
        """`/alerts/{id}` and its CAP document: the centres and administrators read them (403 for anyone else),
        a centre only an alert resolved to a division inside or above its area (404 otherwise)."""
        world = self.world

        def reads(login: Login) -> bool:
            return login.everything or any(world.posts[p][1] == "centre_staff" for p in login.post_ids)

        def related(login: Login, divisions: tuple[str, ...]) -> bool:
            prefixes = [g.prefix for g in login.grants]
            return any(d.startswith(p) or p.startswith(d) for d in divisions for p in prefixes)

        def refused(login: Login) -> int:
            return 404 if reads(login) else 403

        return [
            Probe(
                f"/api/v1/alerts/{alert}{suffix}",
                lambda lg, d=divisions, there=there: there and reads(lg) and (lg.everything or related(lg, d)),
                refused=refused,
            )
            for alert, divisions, there in (
                *((a, d, True) for a, d in self.seeded.alerts.items()),
                (NOWHERE, (), False),
            )
        ]

    @staticmethod
    def public_probes(urls: dict[str, bool]) -> list[Probe]:
        """Public catalogs: there for everyone, or for no one."""
        return [Probe(url, lambda _lg, there=there: there) for url, there in urls.items()]

    @staticmethod
    def admin_only(urls: list[str]) -> list[Probe]:
        """The country's settings (the official calendar): administrators read them, everyone else gets 403."""
        return [Probe(url, lambda lg: lg.everything, refused=lambda _lg: 403) for url in urls]

    def admin_probes(self, template: str, existing: int) -> list[Probe]:
        """Administrators only: 403 for everyone else, whether or not the id exists."""

        def refused(login: Login) -> int:
            return 404 if login.everything else 403

        return [
            Probe(template.format(existing), lambda lg: lg.everything, refused=refused),
            Probe(template.format(NOWHERE), lambda _lg: False, refused=refused),
        ]
